"""Codes and service phrases in the reader's language: the console's two translation filters.

``{{ value | code('area_status') }}`` shows the catalog text ``code.area_status.<value>``; a code
without an entry shows itself, so the language test finds it.

``{{ text | phrase }}`` translates a sentence a service wrote for the record (a meter's evidence,
a broken link of a traceability chain, a work-order note): each known sentence is a pattern with
named parameters here and a catalog entry ``phrase.<name>``; a parameter may itself be a code of a
family (``{"q1": "quantity"}``) or another phrase. A sentence without a pattern shows itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from jiliang.web.i18n import catalog

__all__ = ["PHRASES", "Phrase", "code_text", "phrase_text"]


@dataclass(frozen=True, slots=True)
class Phrase:
    name: str  # catalog key: phrase.<name>
    pattern: re.Pattern[str]
    codes: dict[str, str] = field(default_factory=dict)  # parameter → code family ("" = a phrase)


def _p(name: str, pattern: str, **codes: str) -> Phrase:
    return Phrase(name, re.compile("^" + pattern + "$"), codes)


_NUM = r"[-+]?[\d.]+(?:e[-+]?\d+)?"
_JJF = r" ?\(JJF\(冀\)174-2020\)"

PHRASES: list[Phrase] = [
    # meter lots: the field-check work order of a sampled meter and its result (jiliang.meters.lotservice)
    _p(
        "lot.sample_result_error",
        rf"lot sample: (?P<meter>\S+) \((?P<lot>.+)\) — result: (?P<outcome>\w+), error (?P<err>{_NUM}) %",
        outcome="lot_outcome",
    ),
    _p(
        "lot.sample_result",
        r"lot sample: (?P<meter>\S+) \((?P<lot>.+)\) — result: (?P<outcome>\w+)",
        outcome="lot_outcome",
    ),
    _p("lot.sample", r"lot sample: (?P<meter>\S+) \((?P<lot>.+)\)"),
    # meters: evidence of each meter (jiliang.meters.core)
    _p(
        "met.light_load",
        rf"mean daily energy below (?P<kwh>{_NUM}) kWh: kept in the balance with θ = 1, not estimable",
    ),
    _p(
        "met.light_load_prior",
        rf"mean daily energy below (?P<kwh>{_NUM}) kWh: kept in the balance with its θ fitted under the prior,"
        r" not estimable",
    ),
    _p(
        "met.theft.time_of_day",
        rf"suspected theft: (?P<pct>{_NUM}) % registered in (?P<n>\d+) hours of the day \(time of day\)",
    ),
    _p(
        "met.theft.load",
        rf"suspected theft: (?P<pct>{_NUM}) % registered at (?P<level>high|low) load",
        level="load",
    ),
    _p(
        "met.theft.from",
        rf"suspected theft: (?P<pct>{_NUM}) % registered from (?P<at>\S+) \(change of date\)",
    ),
    _p(
        "met.theft.before",
        rf"suspected theft: (?P<pct>{_NUM}) % registered before (?P<at>\S+) \(change of date\)",
    ),
    _p("met.u_too_large", rf"u = (?P<u>{_NUM}) % exceeds (?P<f>{_NUM}) × limit: cannot decide"),
    _p("met.not_physical", rf"estimated θ = (?P<theta>{_NUM}) is not physical"),
    _p("met.low_collection_meter", rf"meter collection (?P<c>{_NUM}) below (?P<min>{_NUM})"),
    _p("met.no_limit", r"no limit configured for class (?P<cls>.+)"),
    _p("met.few_reads", r"too few reads to be kept in the balance"),
    _p("met.no_reads", r"no reads for this area"),
    _p("met.decision", rf"guard band w = (?P<k>{_NUM})·u = (?P<w>{_NUM}) %"),
    _p("met.decision_rejection", rf"guarded rejection: \|ê\| > L \+ (?P<k>{_NUM})·u"),
    _p(
        "met.light_load_decided",
        rf"mean daily energy below (?P<kwh>{_NUM}) kWh, but the data put θ = (?P<theta>{_NUM}) ± (?P<u>{_NUM})"
        r" far from 1",
    ),
    _p("met.rule.backwards", r"register below the previous read" + _JJF),
    _p("met.rule.negative", r"negative register values"),
    _p(
        "met.rule.runaway_partial",
        r"energy rate above Imax·Un for ≥ 1 h \(JJF\(冀\)174-2020 daily rule on a partial day\)",
    ),
    _p("met.rule.runaway", r"daily energy > Imax·Un·24 h" + _JJF),
    _p("met.rule.stopped", r"register unchanged while I > 0\.1 A" + _JJF),
    # meters: areas and runs
    _p("met.area.no_users", r"area (?P<area>\S+) has no user meters"),
    _p("met.area.no_usable", r"area (?P<area>\S+) has no usable reads"),
    _p(
        "met.area.low_collection", rf"area (?P<area>\S+): no day with collection success ≥ (?P<min>{_NUM}) .*"
    ),
    _p("met.run.demo", r"demo: (?P<areas>\d+) areas, (?P<days>\d+) days"),
    # meters: worklist actions and the work orders raised from them (jiliang.meters.worklist, orders)
    _p("met.action.failed_runaway", r"field check: metering function abnormal \(runaway\)"),
    _p("met.action.failed_backwards", r"field check: metering function abnormal \(running backwards\)"),
    _p("met.action.failed_stopped", r"field check: metering function abnormal \(stopped\)"),
    _p(
        "met.action.suspected_theft",
        r"field check: suspected theft \(registered share changes with time of day, load or date\)",
    ),
    _p("met.action.out_of_limit", r"field check, then replace if confirmed \(out of accuracy\)"),
    _p("met.action.suspect", r"field check \(within the guard band of the limit\)"),
    _p(
        "met.work_order",
        r"(?P<status>\w+): error (?P<e>\S+) % ± u (?P<u>\S+) %, limit ±(?P<lim>\S+) % — (?P<action>.+)",
        status="met_status",
        action="",
    ),
    # registry: broken links of a traceability chain (jiliang.registry.trace)
    _p("trace.ratio", rf"ratio (?P<ratio>{_NUM}):1 to (?P<code>\S+) is below (?P<min>{_NUM}):1"),
    _p("trace.approval_expired", r"approval of (?P<code>\S+) expired (?P<on>\S+), used (?P<used>\S+)"),
    _p("trace.loop", r"(?P<code>\S+): the chain loops back on itself"),
    _p("trace.no_calibration", r"(?P<code>\S+): no calibration before (?P<on>\S+)"),
    _p(
        "trace.certificate_expired",
        r"(?P<code>\S+): certificate (?P<cert>\S+) expired (?P<on>\S+), used (?P<used>\S+)",
    ),
    _p("trace.unknown_standard", r"(?P<code>\S+): calibrated by an unknown standard"),
    _p("trace.no_standard", r"(?P<item>.+): no standard recorded for the verification"),
    _p(
        "trace.quantity", r"(?P<code>\S+) measures (?P<q1>\S+), not (?P<q2>\S+)", q1="quantity", q2="quantity"
    ),
    _p("trace.range_start", rf"(?P<code>\S+) range starts at (?P<at>{_NUM}), needed (?P<need>{_NUM})"),
    _p("trace.range_end", rf"(?P<code>\S+) range ends at (?P<at>{_NUM}), needed (?P<need>{_NUM})"),
    # uncertainty: the kind of specific risk of a conformity decision (jiliang.uncertainty.conformity)
    _p("unc.false_accept", r"specific false-accept probability \(consumer\)"),
    _p("unc.false_reject", r"specific false-reject probability \(producer\)"),
]


def code_text(lang: str, family: str, value: object) -> str:
    """The words for ``value`` of a code family, or the value itself when the catalog has none."""
    if value is None:
        return "—"
    key = str(value).replace(" ", "_")
    return catalog(lang).get(f"code.{family}.{key}", str(value))


def phrase_text(lang: str, text: object) -> str:
    """``text`` in ``lang`` when it is a known service phrase, else ``text`` unchanged."""
    if text is None:
        return ""
    sentence = str(text).strip()
    messages = catalog(lang)
    for p in PHRASES:
        match = p.pattern.match(sentence)
        if match is None or f"phrase.{p.name}" not in messages:
            continue
        values = match.groupdict()
        for group, family in p.codes.items():
            values[group] = (
                code_text(lang, family, values[group]) if family else phrase_text(lang, values[group])
            )
        return messages[f"phrase.{p.name}"].format(**values)
    return sentence
