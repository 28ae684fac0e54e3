"""Registry and traceability: instruments under compulsory verification, measurement standards,
reference materials, verification and calibration records, and chains to national standards.

The pure core (:mod:`jiliang.registry.trace`, :mod:`jiliang.registry.dates`) takes plain data,
dates and settings as arguments; the services (:mod:`~jiliang.registry.service`,
:mod:`~jiliang.registry.importer`, :mod:`~jiliang.registry.export`, :mod:`~jiliang.registry.metrics`)
work on a SQLAlchemy session.
"""

from jiliang.registry.trace import (
    Break,
    CalibrationLink,
    Edge,
    InstrumentNode,
    Node,
    StandardNode,
    Traceability,
    TraceError,
    trace_record,
    trace_standard,
)

__all__ = [
    "Break",
    "CalibrationLink",
    "Edge",
    "InstrumentNode",
    "Node",
    "StandardNode",
    "TraceError",
    "Traceability",
    "trace_record",
    "trace_standard",
]
