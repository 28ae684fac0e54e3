"""Supervision: random inspections (双随机、一公开), credit classes, integrity commitments and their
publication.

The draw and the scoring are pure (:mod:`jiliang.stats.draw`, :mod:`jiliang.stats.credit`); this
capability holds their tables, the plan and task workflows (:mod:`~jiliang.supervision.service`),
the evidence gathering and commitments (:mod:`~jiliang.supervision.credit`), the plan file reader
of the CLI (:mod:`~jiliang.supervision.planfile`) and the demo data.
"""
