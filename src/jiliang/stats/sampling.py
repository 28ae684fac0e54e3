"""Statutory attribute sampling: GB/T 2828.1-2012 (≡ ISO 2859-1:1999) plans, switching and OC curves.

The tables are data, not code: ``jiliang/stats/data/gbt2828_1_2012.json`` holds Table 1 (sample
size code letters) and the printed cells of Tables 2-A, 2-B and 2-C (single sampling plans for
normal, tightened and reduced inspection) with their arrows, the edition, the effective-from date,
the page and the digest of the source. Each look-up follows the steps of the standard:

1. Table 1: lot size ``N`` and inspection level (S-1…S-4, I, II, III) give the code letter (clause 10).
2. Table 2-A/2-B/2-C: code letter and AQL give a cell. An arrow sends the user to the first plan
   below (↓) or above (↑) it in the same column: that plan's sample size ``n``, acceptance number
   ``Ac`` and rejection number ``Re`` together replace the code letter's (notes to Tables 2-A…2-C).
3. If ``n ≥ N`` every item of the lot is inspected (100 % inspection, note to Table 2-A).
4. The lot is accepted if the number of nonconforming items (or nonconformities) ``d ≤ Ac``,
   not accepted if ``d ≥ Re`` (§11.1.1).

Switching between normal, tightened and reduced inspection (§9) is a small state machine,
:func:`switching_step`, whose every step names its clause. :func:`oc_curve` gives the probability of
acceptance ``Pa(p)`` of any single plan (binomial; hypergeometric for an isolated lot of size
``N``; Poisson for nonconformities per 100 units), and :func:`lq_sample_size` the smallest sample
for a limiting quality (a design aid, not the GB/T 2828.2 tables, which are not shipped).

Pure: the only I/O is reading the packaged table through :mod:`importlib.resources`.

References
----------
GB/T 2828.1-2012 计数抽样检验程序 第1部分：按接收质量限(AQL)检索的逐批检验抽样计划, Table 1
(样本量字码), Tables 2-A, 2-B, 2-C (pp. 15-17), clause 9 (转移规则和程序), clause 10, 11.

Examples
--------
>>> p = sampling_plan(1000, "1.0")
>>> (p.code_letter, p.n, p.ac, p.re, p.hundred_percent)
('J', 80, 2, 3, False)
>>> p.accepts(2), p.accepts(3)
(True, False)
>>> q = sampling_plan(3000, "0.10", severity="tightened")
>>> (q.code_letter, q.plan_letter, q.n, q.ac, q.re, q.arrow)
('K', 'L', 200, 0, 1, 'down')
"""

from __future__ import annotations

import bisect
import json
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from importlib import resources
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy import stats as sps

from jiliang.errors import InputError

__all__ = [
    "AQL_VALUES",
    "INSPECTION_LEVELS",
    "SEVERITIES",
    "AcceptanceDecision",
    "OCCurve",
    "SamplingPlan",
    "SamplingTables",
    "SwitchingState",
    "SwitchingStep",
    "lot_acceptance",
    "lq_sample_size",
    "oc_curve",
    "parse_aql",
    "resume_inspection",
    "sampling_plan",
    "sampling_tables",
    "switching_step",
]

Severity = Literal["normal", "tightened", "reduced"]
OCModel = Literal["binomial", "hypergeometric", "poisson"]

#: Inspection severities, in the order of Tables 2-A, 2-B, 2-C.
SEVERITIES: tuple[Severity, ...] = ("normal", "tightened", "reduced")
#: Inspection levels of Table 1, special (S-1…S-4) then general (I, II, III).
INSPECTION_LEVELS = ("S-1", "S-2", "S-3", "S-4", "I", "II", "III")
#: Largest lot size accepted (a sanity bound against overflowing input, far above real lots).
MAX_LOT_SIZE = 10**12
#: Largest isolated lot for the hypergeometric OC (beyond it the binomial is exact to < 1e-6 for
#: the tables' samples, and the hypergeometric sums get slow).
MAX_HYPERGEOMETRIC_LOT = 10**6
_DATA_FILE = "gbt2828_1_2012.json"
_TABLE_OF = {"normal": "2-A", "tightened": "2-B", "reduced": "2-C"}


@dataclass(frozen=True, slots=True)
class _Cell:
    plan_letter: str
    n: int
    ac: int
    re: int
    arrow: str | None
    tighter_ac: int | None


@dataclass(frozen=True, slots=True)
class SamplingTables:
    """The GB/T 2828.1 tables as loaded from the data file, with their provenance.

    ``cells[(severity, code_letter, aql_index)]`` is the plan after the arrows were followed (or
    ``None`` for a cell without a plan); ``code_rows`` is Table 1 as (first lot size, last lot size
    or ``None``, one code letter per level).
    """

    edition: str
    effective_from: date
    source: str
    source_sha256: str
    aqls: tuple[str, ...]
    code_rows: tuple[tuple[int, int | None, tuple[str, ...]], ...]
    pages: dict[str, int]
    cells: dict[tuple[str, str, int], _Cell | None] = field(repr=False)
    lot_starts: tuple[int, ...] = field(repr=False)
    aql_floats: tuple[float, ...] = field(repr=False)
    #: ``plan_index[(severity, level, aql_index)][table_1_row]``: the plan of every cell, built once
    #: per edition when the tables are loaded (see :func:`_plan_index`); ``None`` for no plan.
    plan_index: dict[tuple[str, str, int], tuple[_Template | None, ...]] = field(
        repr=False, compare=False, default_factory=dict
    )


#: AQL values of Tables 2-A…2-C as printed (percent nonconforming up to 10, or nonconformities
#: per 100 items), in the table's order.
AQL_VALUES: tuple[str, ...] = (
    "0.010", "0.015", "0.025", "0.040", "0.065", "0.10", "0.15", "0.25", "0.40", "0.65", "1.0",
    "1.5", "2.5", "4.0", "6.5", "10", "15", "25", "40", "65", "100", "150", "250", "400", "650",
    "1000",
)  # fmt: skip


def _parse_cell(text: str) -> tuple[int, int] | str:
    if "/" in text:
        ac, re_ = text.split("/")
        return int(ac), int(re_)
    return text


def _follow(rows: list[list[tuple[int, int] | str]], i: int, j: int) -> tuple[int, tuple[int, int]] | None:
    """Row index and (Ac, Re) of the plan the cell (i, j) leads to (notes to Tables 2-A…2-C)."""
    cell = rows[i][j]
    if isinstance(cell, tuple):
        return i, cell
    if cell == "":
        return None
    step = 1 if cell == "v" else -1
    k = i + step
    while 0 <= k < len(rows):
        target = rows[k][j]
        if isinstance(target, tuple):
            return k, target
        k += step
    raise InputError(f"GB/T 2828.1 data: the arrow at row {i}, column {j} leads to no plan")


def _resolve(raw: dict[str, Any], severity: str) -> dict[tuple[str, str, int], _Cell | None]:
    table = raw["tables"][severity]
    letters = list(table["rows"])
    sizes = table["sample_size"]
    rows = [[_parse_cell(c) for c in table["rows"][letter]] for letter in letters]
    out: dict[tuple[str, str, int], _Cell | None] = {}
    for i, letter in enumerate(letters):
        for j in range(len(raw["aql"])):
            hit = _follow(rows, i, j)
            if hit is None:
                out[(severity, letter, j)] = None
                continue
            k, (ac, re_) = hit
            arrow = None if k == i else ("down" if k > i else "up")
            tighter = _follow(rows, k, j - 1) if j > 0 else None
            tac = tighter[1][0] if tighter is not None else None
            out[(severity, letter, j)] = _Cell(letters[k], int(sizes[letters[k]]), ac, re_, arrow, tac)
    return out


@cache
def sampling_tables() -> SamplingTables:
    """Load and resolve the packaged GB/T 2828.1-2012 tables (read once, then cached).

    >>> t = sampling_tables()
    >>> t.edition, str(t.effective_from), t.pages["2-A"]
    ('GB/T 2828.1-2012', '2013-02-15', 15)
    """
    text = resources.files("jiliang.stats").joinpath("data", _DATA_FILE).read_text("utf-8")
    raw = json.loads(text)
    if tuple(raw["aql"]) != AQL_VALUES:
        raise InputError("GB/T 2828.1 data: the AQL columns differ from the printed tables")
    cells: dict[tuple[str, str, int], _Cell | None] = {}
    for severity in SEVERITIES:
        cells.update(_resolve(raw, severity))
    code_rows = tuple((int(r[0]), r[1], tuple(r[2:])) for r in raw["table_1"]["rows"])
    tables = SamplingTables(
        edition=raw["edition"],
        effective_from=date.fromisoformat(raw["effective_from"]),
        source=raw["standard"],
        source_sha256=raw["source_sha256"],
        aqls=tuple(raw["aql"]),
        code_rows=code_rows,
        pages={t["table"]: int(t["page"]) for t in raw["tables"].values()},
        cells=cells,
        lot_starts=tuple(r[0] for r in code_rows),
        aql_floats=tuple(float(a) for a in raw["aql"]),
    )
    tables.plan_index.update(_plan_index(tables))
    return tables


def parse_aql(aql: str | float) -> int:
    """Column index of an AQL in Tables 2-A…2-C; an AQL not printed there is an error.

    >>> parse_aql("1.0"), parse_aql(1), parse_aql(0.065)
    (10, 10, 4)
    """
    j = _AQL_INDEX.get(aql) if isinstance(aql, str) else None
    if j is not None:
        return j
    try:
        value = float(aql)
    except (TypeError, ValueError):
        raise InputError(f"AQL {aql!r}: not a number") from None
    j = _AQL_BY_VALUE.get(value)
    if j is None:
        raise InputError(f"AQL {aql!r}: not in GB/T 2828.1 Tables 2-A to 2-C (0.010 … 1000)")
    return j


_AQL_INDEX = {a: j for j, a in enumerate(AQL_VALUES)}
_AQL_BY_VALUE = {float(a): j for j, a in enumerate(AQL_VALUES)}
_LEVEL_INDEX = {level: k for k, level in enumerate(INSPECTION_LEVELS)}


def _code_letter(tables: SamplingTables, lot_size: int, level: str) -> str:
    """Table 1: the sample size code letter of a lot (clause 10)."""
    column = _LEVEL_INDEX.get(level)
    if column is None:
        raise InputError(f"inspection level {level!r}: use one of {', '.join(INSPECTION_LEVELS)}")
    row = max(bisect.bisect_right(tables.lot_starts, lot_size) - 1, 0)
    return tables.code_rows[row][2][column]


def _check_lot_size(lot_size: int) -> int:
    if isinstance(lot_size, bool):
        raise InputError(f"lot size {lot_size!r}: not a whole number")
    try:
        lot_size = operator.index(lot_size)  # int, numpy integers
    except TypeError:
        raise InputError(f"lot size {lot_size!r}: not a whole number") from None
    if lot_size < 1:
        raise InputError(f"lot size {lot_size}: must be at least 1")
    if lot_size > MAX_LOT_SIZE:
        raise InputError(f"lot size {lot_size}: larger than {MAX_LOT_SIZE}")
    return lot_size


@dataclass(frozen=True, slots=True)
class SamplingPlan:
    """A single sampling plan of GB/T 2828.1 for one lot, with the way it was found.

    ``code_letter`` is Table 1's letter; ``plan_letter`` the letter whose plan is used after
    following an arrow (``arrow`` = ``"down"``/``"up"``, ``None`` if the cell holds a plan).
    ``n`` is the number of items to inspect: the lot size if ``hundred_percent``. ``tighter_ac``
    is the acceptance number one AQL step tighter in the same table row (for the switching score,
    §9.3.3.2), ``None`` for the tightest AQL.
    """

    lot_size: int
    aql: str
    level: str
    severity: Severity
    code_letter: str
    plan_letter: str
    n: int
    ac: int
    re: int
    hundred_percent: bool
    arrow: str | None
    tighter_ac: int | None
    table: str
    page: int
    edition: str

    def __post_init__(self) -> None:
        if not 0 <= self.ac < self.re:
            raise InputError(f"plan {self.n}/{self.ac}/{self.re}: need 0 ≤ Ac < Re")
        if self.n < 1 or self.lot_size < 1:
            raise InputError("plan: sample and lot sizes must be positive")

    def accepts(self, d: int) -> bool:
        """``True`` if ``d`` nonconforming items (or nonconformities) accept the lot (d ≤ Ac)."""
        return d <= self.ac

    def as_dict(self) -> dict[str, Any]:
        """The plan as JSON-ready values (the CLI's and API's answer)."""
        return {
            "code_letter": self.code_letter,
            "n": self.n,
            "ac": self.ac,
            "re": self.re,
            "hundred_percent": self.hundred_percent,
            "edition": self.edition,
        }


def sampling_plan(
    lot_size: int, aql: str | float, *, level: str = "II", severity: Severity = "normal"
) -> SamplingPlan:
    """The single sampling plan of GB/T 2828.1-2012 for a lot.

    Parameters
    ----------
    lot_size : int
        Lot size ``N`` (≥ 1; Table 1's first row covers lots of 1 to 8).
    aql : str or float
        Acceptance quality limit as printed in Tables 2-A…2-C (``"1.0"``, ``0.65``, ``"1000"``).
    level : str
        Inspection level of Table 1: ``S-1``…``S-4``, ``I``, ``II`` (default, clause 10) or ``III``.
    severity : {"normal", "tightened", "reduced"}
        Table 2-A, 2-B or 2-C (§9).

    Returns
    -------
    SamplingPlan
        With the plan at the arrow's end (its ``n``, ``Ac`` and ``Re``) and ``hundred_percent``
        when ``n ≥ N`` (then ``n = N``).

    Examples
    --------
    >>> p = sampling_plan(2000, "1.0")                          # Table 1: K; Table 2-A: 125, 3/4
    >>> (p.code_letter, p.n, p.ac, p.re)
    ('K', 125, 3, 4)
    >>> p = sampling_plan(10, "0.65")                           # B, arrow down to F (20 ≥ 10): all items
    >>> (p.code_letter, p.plan_letter, p.n, p.ac, p.hundred_percent)
    ('B', 'F', 10, 0, True)
    """
    tables = sampling_tables()
    lot_size = _check_lot_size(lot_size)
    if severity not in _TABLE_OF:
        raise InputError(f"severity {severity!r}: use normal, tightened or reduced")
    j = parse_aql(aql)
    rows = tables.plan_index.get((severity, level, j))
    if rows is None:  # the level is not one of Table 1's: its error
        _code_letter(tables, lot_size, level)
        raise InputError(f"inspection level {level!r}")  # pragma: no cover - raised above
    template = rows[max(bisect.bisect_right(tables.lot_starts, lot_size) - 1, 0)]
    if template is None:  # pragma: no cover - Table 1 letters always lead to a plan
        raise InputError(f"no plan at AQL {tables.aqls[j]} for a lot of {lot_size}")
    return template.plan(lot_size)


@dataclass(frozen=True, slots=True)
class AcceptanceDecision:
    """Acceptance of one lot (§11.1.1): accepted iff ``d ≤ Ac``; ``clause`` cites the rule."""

    d: int
    n: int
    ac: int
    re: int
    accepted: bool

    def __post_init__(self) -> None:
        if self.d < 0:
            raise InputError(f"d = {self.d}: the number of nonconforming items cannot be negative")

    @property
    def clause(self) -> str:
        """The rule applied, e.g. ``GB/T 2828.1-2012 11.1.1: d=3 ≤ Ac=3``."""
        why = f"d={self.d} ≤ Ac={self.ac}" if self.accepted else f"d={self.d} ≥ Re={self.re}"
        return f"GB/T 2828.1-2012 11.1.1: {why}"


def lot_acceptance(p: SamplingPlan, d: int, *, per_hundred: bool = False) -> AcceptanceDecision:
    """Accept or not accept a lot from the count ``d`` found in the sample.

    ``d`` counts nonconforming items (≤ n) or, with ``per_hundred``, nonconformities (any count).

    >>> p = sampling_plan(2000, "1.0")
    >>> lot_acceptance(p, 3).accepted, lot_acceptance(p, 4).clause
    (True, 'GB/T 2828.1-2012 11.1.1: d=4 ≥ Re=4')
    """
    if isinstance(d, bool) or not isinstance(d, int):
        raise InputError(f"d = {d!r}: not a whole number")
    if d > p.n and not per_hundred:
        raise InputError(f"d = {d}: more nonconforming items than the {p.n} inspected")
    if d < 0:
        raise InputError(f"d = {d}: the number of nonconforming items cannot be negative")
    decision = _new(AcceptanceDecision)
    _SET_D(decision, d)
    _SET_DN(decision, p.n)
    _SET_AC(decision, p.ac)
    _SET_RE(decision, p.re)
    _SET_ACCEPTED(decision, d <= p.ac)
    return decision


# --------------------------------------------------------------------------------------------
# The indexed look-up: every cell's plan prepared once per edition, set on a new object without
# the checks of ``__init__`` (the values were checked when the index was built).

_new = object.__new__
_SETTER = Callable[[object, object], None]


def _setter(cls: type, name: str) -> _SETTER:
    setter: _SETTER = cls.__dict__[name].__set__  # the slot's descriptor: bypasses frozen __setattr__
    return setter


_PLAN_FIXED = ("aql", "level", "severity", "code_letter", "plan_letter", "ac", "re", "arrow", "tighter_ac",
               "table", "page", "edition")  # fmt: skip
_SET_D, _SET_DN, _SET_AC, _SET_RE, _SET_ACCEPTED = (
    _setter(AcceptanceDecision, name) for name in ("d", "n", "ac", "re", "accepted")
)


@dataclass(frozen=True, slots=True)
class _Template:
    """A cell's plan for any lot of its Table 1 row: all but the lot size, ``n`` and the 100 % flag."""

    n: int
    fixed: tuple[tuple[_SETTER, object], ...]

    def plan(self, lot_size: int) -> SamplingPlan:
        plan = _new(SamplingPlan)
        for set_value, value in self.fixed:
            set_value(plan, value)
        hundred = self.n >= lot_size
        _SET_LOT_SIZE(plan, lot_size)
        _SET_N(plan, lot_size if hundred else self.n)
        _SET_HUNDRED(plan, hundred)
        return plan


def _plan_index(tables: SamplingTables) -> dict[tuple[str, str, int], tuple[_Template | None, ...]]:
    """For every severity, level and AQL column, the template of each Table 1 row; each template is
    checked once by building its plan through :class:`SamplingPlan`'s own checks."""
    out: dict[tuple[str, str, int], tuple[_Template | None, ...]] = {}
    setters = {name: _setter(SamplingPlan, name) for name in _PLAN_FIXED}
    for severity in SEVERITIES:
        table = _TABLE_OF[severity]
        for column, level in enumerate(INSPECTION_LEVELS):
            for j, aql in enumerate(tables.aqls):
                row_templates: list[_Template | None] = []
                for _first, _last, letters in tables.code_rows:
                    cell = tables.cells[(severity, letters[column], j)]
                    if cell is None:
                        row_templates.append(None)
                        continue
                    values = {"aql": aql, "level": level, "severity": severity, "code_letter": letters[column],
                              "plan_letter": cell.plan_letter, "ac": cell.ac, "re": cell.re, "arrow": cell.arrow,
                              "tighter_ac": cell.tighter_ac, "table": table, "page": tables.pages[table],
                              "edition": tables.edition}  # fmt: skip
                    SamplingPlan(lot_size=cell.n, n=cell.n, hundred_percent=True, **values)  # type: ignore[arg-type]
                    row_templates.append(_Template(cell.n, tuple((setters[k], v) for k, v in values.items())))
                out[(severity, level, j)] = tuple(row_templates)
    return out


_SET_LOT_SIZE, _SET_N, _SET_HUNDRED = (
    _setter(SamplingPlan, name) for name in ("lot_size", "n", "hundred_percent")
)


# --------------------------------------------------------------------------------------------
# Switching rules (clause 9)


@dataclass(frozen=True, slots=True)
class SwitchingState:
    """Where a continuing series of lots stands under the switching rules of §9.

    ``recent`` holds the results (accepted or not) of the last lots on original inspection under
    the current severity, most recent last, at most 5; ``score`` is the switching score (§9.3.3.2,
    normal inspection only); ``tightened_rejections`` counts the lots not accepted since
    tightened inspection began (§9.4); ``discontinued`` stops acceptance inspection (§9.4).
    """

    severity: Severity = "normal"
    score: int = 0
    recent: tuple[bool, ...] = ()
    tightened_rejections: int = 0
    discontinued: bool = False

    def __post_init__(self) -> None:
        if self.severity not in _TABLE_OF:
            raise InputError(f"severity {self.severity!r}: use normal, tightened or reduced")
        if self.score < 0 or self.tightened_rejections < 0 or len(self.recent) > 5:
            raise InputError("switching state: negative counts or more than 5 recent lots")


@dataclass(frozen=True, slots=True)
class SwitchingStep:
    """One lot through the switching rules: the state after it and the clause that decided."""

    before: SwitchingState
    after: SwitchingState
    accepted: bool
    clause: str
    reason: str


def _score(state: SwitchingState, *, d: int, ac: int, tighter_ac: int | None) -> tuple[int, str]:
    """Switching score after one lot on normal inspection (§9.3.3.2, single sampling)."""
    if ac >= 2:
        if tighter_ac is not None and d <= tighter_ac:
            return state.score + 3, "9.3.3.2 a) 1): Ac ≥ 2 and accepted one AQL step tighter: +3"
        return 0, "9.3.3.2 a) 1): Ac ≥ 2 and not accepted one AQL step tighter: score set to 0"
    if d <= ac:
        return state.score + 2, "9.3.3.2 a) 2): Ac ≤ 1 and the lot accepted: +2"
    return 0, "9.3.3.2 a) 2): Ac ≤ 1 and the lot not accepted: score set to 0"


def _from_normal(
    state: SwitchingState, accepted: bool, score: int, steady: bool, approved: bool
) -> tuple[SwitchingState, str, str]:
    recent = (*state.recent, accepted)[-5:]
    if recent.count(False) >= 2:
        return SwitchingState("tightened"), "9.3.1", "2 of 5 or fewer consecutive lots not accepted"
    if score >= 30 and steady and approved:
        why = "switching score ≥ 30, production steady, reduced inspection approved"
        return SwitchingState("reduced"), "9.3.3", why
    return SwitchingState("normal", score, recent), "9.2", "normal inspection continues"


def _from_tightened(state: SwitchingState, accepted: bool) -> tuple[SwitchingState, str, str]:
    rejections = state.tightened_rejections + (0 if accepted else 1)
    if rejections >= 5:
        after = SwitchingState("tightened", 0, (), rejections, discontinued=True)
        return after, "9.4", "5 lots not accepted on tightened inspection: inspection discontinued"
    recent = (*state.recent, accepted)[-5:] if accepted else ()
    if len(recent) == 5 and all(recent):
        return SwitchingState("normal"), "9.3.2", "5 consecutive lots accepted on tightened inspection"
    return SwitchingState("tightened", 0, recent, rejections), "9.2", "tightened inspection continues"


def switching_step(
    state: SwitchingState,
    *,
    d: int,
    ac: int,
    tighter_ac: int | None = None,
    production_steady: bool = True,
    reduced_approved: bool = False,
    production_irregular: bool = False,
) -> SwitchingStep:
    """Pass one lot (original inspection, single sampling) through the switching rules of §9.

    Parameters
    ----------
    state : SwitchingState
        The state before the lot (start with ``SwitchingState()``: normal inspection, §9.1).
    d, ac : int
        Nonconforming items (or nonconformities) found and the plan's acceptance number.
    tighter_ac : int, optional
        Acceptance number one AQL step tighter (``SamplingPlan.tighter_ac``), for the score.
    production_steady, reduced_approved : bool
        §9.3.3 b) and c): both needed, with a score of at least 30, to go to reduced inspection.
    production_irregular : bool
        §9.3.4 b)/c): on reduced inspection, production irregular or delayed, or other conditions
        that warrant normal inspection.

    Examples
    --------
    >>> s = SwitchingState()
    >>> for d in (0, 2):                               # Ac = 1: one lot of two not accepted
    ...     step = switching_step(s, d=d, ac=1)
    ...     s = step.after
    >>> s.severity, step.clause
    ('normal', 'GB/T 2828.1-2012 9.2')
    >>> s = switching_step(s, d=3, ac=1).after
    >>> s.severity
    'tightened'
    """
    if state.discontinued:
        raise InputError("inspection discontinued (GB/T 2828.1-2012 9.4): resume after corrective action")
    if isinstance(d, bool) or not isinstance(d, int) or d < 0:
        raise InputError(f"d = {d!r}: need a whole number ≥ 0")
    accepted = d <= ac
    if state.severity == "normal":
        score, why_score = _score(state, d=d, ac=ac, tighter_ac=tighter_ac)
        after, clause, reason = _from_normal(state, accepted, score, production_steady, reduced_approved)
        reason = f"{reason}; {why_score}; score {score}"
    elif state.severity == "tightened":
        after, clause, reason = _from_tightened(state, accepted)
    elif not accepted:
        after, clause, reason = SwitchingState("normal"), "9.3.4 a)", "a lot not accepted on reduced"
    elif production_irregular:
        why = "production irregular or delayed, or other conditions warrant normal inspection"
        after, clause, reason = SwitchingState("normal"), "9.3.4 b), c)", why
    else:
        after, clause, reason = replace(state, recent=()), "9.2", "reduced inspection continues"
    return SwitchingStep(state, after, accepted, f"GB/T 2828.1-2012 {clause}", reason)


def resume_inspection(state: SwitchingState) -> SwitchingState:
    """Resume after discontinuation: tightened inspection (§9.4), once corrective action is taken.

    >>> resume_inspection(SwitchingState("tightened", tightened_rejections=5, discontinued=True)).severity
    'tightened'
    """
    if not state.discontinued:
        raise InputError("inspection is not discontinued")
    return SwitchingState("tightened")


# --------------------------------------------------------------------------------------------
# Operating characteristic


@dataclass(frozen=True, slots=True)
class OCCurve:
    """Probability of acceptance ``pa`` at each fraction nonconforming ``p`` of plan (n, Ac).

    For ``model="poisson"``, ``p`` is nonconformities per item (per-100 AQLs divided by 100, up to
    1000).
    """

    n: int
    ac: int
    model: OCModel
    lot_size: int | None
    p: NDArray[np.float64]
    pa: NDArray[np.float64]


def _check_plan(n: int, ac: int, lot_size: int | None, *, per_item: bool = False) -> None:
    """Whole numbers, n ≥ 1, 0 ≤ Ac ≤ n (Ac may pass n when counting nonconformities)."""
    for name, v in (("n", n), ("Ac", ac)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise InputError(f"{name} = {v!r}: not a whole number")
    if n < 1 or n > MAX_LOT_SIZE or not 0 <= ac <= (10**6 if per_item else n):
        raise InputError(f"plan n={n}, Ac={ac}: need n ≥ 1 and 0 ≤ Ac ≤ n")
    if lot_size is not None and (not isinstance(lot_size, int) or not n <= lot_size <= MAX_LOT_SIZE):
        raise InputError(f"lot size {lot_size!r}: need a whole number ≥ n = {n}")


def oc_curve(
    n: int,
    ac: int,
    p: Sequence[float] | NDArray[np.float64],
    *,
    lot_size: int | None = None,
    model: OCModel | None = None,
) -> OCCurve:
    """Operating characteristic ``Pa(p) = P(d ≤ Ac)`` of the single plan (n, Ac).

    Binomial by default (a continuing process, GB/T 2828.1); hypergeometric when ``lot_size`` is
    given (an isolated lot of ``N`` items holding ``round(p·N)`` nonconforming ones, GB/T 2828.2
    procedure A); Poisson for nonconformities per item.

    >>> c = oc_curve(125, 3, [0.0, 0.01, 0.05])
    >>> [round(float(x), 4) for x in c.pa]
    [1.0, 0.9626, 0.1238]
    """
    chosen: OCModel = model or ("hypergeometric" if lot_size is not None else "binomial")
    _check_plan(n, ac, lot_size, per_item=chosen == "poisson")
    ps = np.asarray(p, dtype=np.float64)
    top = 1000.0 if chosen == "poisson" else 1.0  # nonconformities per item may exceed 1
    if ps.ndim != 1 or ps.size > 10_000 or not np.all((ps >= 0) & (ps <= top)):
        raise InputError(f"p: need at most 10000 values between 0 and {top:g}")
    if chosen == "hypergeometric":
        if lot_size is None or lot_size > MAX_HYPERGEOMETRIC_LOT:
            raise InputError(
                f"the hypergeometric OC needs a lot size of at most {MAX_HYPERGEOMETRIC_LOT}"
                " (use the binomial for larger lots)"
            )
        bad = np.rint(ps * lot_size)
        pa = sps.hypergeom.cdf(ac, lot_size, bad, n)
    elif chosen == "poisson":
        pa = sps.poisson.cdf(ac, n * ps)
    else:
        pa = sps.binom.cdf(ac, n, ps)
    pa = np.clip(np.asarray(pa, dtype=np.float64), 0.0, 1.0)
    if not np.all(np.isfinite(pa)):
        raise InputError(f"the OC of n={n}, Ac={ac} could not be computed")
    return OCCurve(n=n, ac=ac, model=chosen, lot_size=lot_size, p=ps, pa=pa)


def lq_sample_size(
    lq: float, *, ac: int = 0, beta: float = 0.10, lot_size: int | None = None, max_n: int = 100_000
) -> int:
    """Smallest sample size ``n`` with ``Pa(LQ) ≤ β`` for acceptance number ``Ac``.

    A design aid for isolated lots (binomial, or hypergeometric with ``lot_size``); the
    statutory GB/T 2828.2-2008 tables are not shipped (their text could not be verified).

    >>> lq_sample_size(0.05), lq_sample_size(0.05, ac=1), lq_sample_size(0.125, ac=3)
    (45, 77, 52)
    """
    if not 0 < lq < 1 or not 0 < beta < 1:
        raise InputError("LQ and β: need fractions strictly between 0 and 1")
    if isinstance(ac, bool) or not isinstance(ac, int) or ac < 0:
        raise InputError(f"Ac = {ac!r}: need a whole number ≥ 0")
    top = min(max_n, lot_size) if lot_size is not None else max_n
    lo, hi = max(ac, 1), top
    if oc_curve(hi, min(ac, hi), [lq], lot_size=lot_size).pa[0] > beta:
        raise InputError(f"no sample of at most {top} items reaches Pa(LQ) ≤ {beta}")
    while lo < hi:  # Pa(LQ) falls as n grows: bisect
        mid = (lo + hi) // 2
        if oc_curve(mid, min(ac, mid), [lq], lot_size=lot_size).pa[0] <= beta:
            hi = mid
        else:
            lo = mid + 1
    return lo
