"""Net content of prepackaged goods (定量包装商品净含量): T, the sampling plan and the lot decision.

The tolerable deficiency T (允许短缺量) comes from the table of the 2023 SAMR order (Order No. 70,
附表3, the same values as JJF 1070 and OIML R 87) and the sampling plan from JJF 1070's table,
both kept as data in ``jiliang/stats/data`` with their edition. The plan shipped is JJF 1070-2005's
(the last edition whose table was verified; see the data file's ``superseded_by``).

A lot passes (JJF 1070 §4.3, §6) when

* the sample mean satisfies  q̄ ≥ Qn − λ·s  (λ printed in the plan, s the sample standard deviation),
* the number of items with a T1 error (T < Qn − qᵢ ≤ 2T) is at most c,
* no item has a T2 error (Qn − qᵢ > 2T).

Lots of 1 to 10 items are judged item by item, without the mean (plan note 2).

Examples
--------
>>> tolerable_deficiency(500, "g").T
Decimal('15.0')
>>> plan = sampling_plan(300)
>>> plan.n, plan.c, plan.lambda_
(50, 3, Decimal('0.379'))
>>> v = judge(Nominal(500, "g"), [501.0] * 48 + [484.0, 499.0], lot_size=300)
>>> v.decision, v.t1, v.t2
('pass', 1, 0)
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from jiliang.errors import InputError

__all__ = [
    "MAX_CSV_BYTES",
    "MAX_CSV_ROWS",
    "UNITS",
    "LotSpec",
    "NetContentError",
    "Nominal",
    "PassProbability",
    "Plan",
    "Step",
    "Tolerance",
    "Verdict",
    "draw_sample",
    "judge",
    "judge_many",
    "lot_spec",
    "net_from_gross",
    "pass_probability",
    "plan_table",
    "read_lot_csv",
    "sampling_plan",
    "tolerable_deficiency",
    "tolerance_table",
]

#: Units a nominal quantity may be stated in (办法附表1), and the quantity each measures.
UNITS = ("g", "kg", "mL", "L", "m", "m2", "count")
#: Largest lot size accepted (a sanity bound, not a rule of the standard).
MAX_LOT = 10**9
CLAUSE_T = "定量包装商品计量监督管理办法 附表3 / JJF 1070 §4.3.1"
CLAUSE_UNIT = "定量包装商品计量监督管理办法 附表1"
CLAUSE_PLAN = "JJF 1070-2005 §5.4.3, 附表4"
CLAUSE_MEAN = "JJF 1070 §4.3.2"
CLAUSE_T1 = "JJF 1070 §4.3.1, 附表4 第四栏"
CLAUSE_T2 = "JJF 1070 §4.3.1, 附表4 第五栏"
CLAUSE_SMALL = "JJF 1070-2005 附表4 注2"


class NetContentError(InputError):
    """An input the net-content rules cannot judge (unit, nominal quantity, lot, sample)."""


@cache
def _load(name: str) -> dict[str, Any]:
    text = resources.files("jiliang.stats").joinpath("data", name).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def tolerance_table() -> dict[str, Any]:
    """The T table as stored (edition, source, bands); see ``data/jjf1070_tolerable_deficiency.json``."""
    return _load("jjf1070_tolerable_deficiency.json")


def plan_table() -> dict[str, Any]:
    """The sampling-plan table as stored (edition, source, rows); see ``data/jjf1070_sampling_plan.json``."""
    return _load("jjf1070_sampling_plan.json")


def _decimal(value: object, what: str) -> Decimal:
    try:
        d = Decimal(str(value).strip())
    except InvalidOperation:
        raise NetContentError(f"{what} {value!r} is not a number") from None
    if not d.is_finite():
        raise NetContentError(f"{what} {value!r} is not a finite number")
    return d


@dataclass(frozen=True, slots=True)
class Nominal:
    """A nominal quantity Qn with its unit, checked against the unit rules of 办法附表1.

    >>> Nominal("2.5", "kg").base
    Decimal('2500.0')
    >>> Nominal(1500, "g")
    Traceback (most recent call last):
    ...
    jiliang.stats.netcontent.NetContentError: a nominal quantity of 1500 g is stated in kg (办法附表1: g below 1000 g)
    """

    value: Decimal | float | int | str
    unit: str

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise NetContentError(f"unit {self.unit!r} is not one of {', '.join(UNITS)}")
        q = _decimal(self.value, "nominal quantity")
        object.__setattr__(self, "value", q)
        rule = tolerance_table()["units"][self.unit]
        if q <= 0:
            raise NetContentError(f"the nominal quantity must be positive, not {q}")
        if "nominal_below" in rule and q >= Decimal(rule["nominal_below"]):
            big = {"g": "kg", "mL": "L"}[self.unit]
            raise NetContentError(
                f"a nominal quantity of {q} {self.unit} is stated in {big} "
                f"(办法附表1: {self.unit} below {rule['nominal_below']} {self.unit})"
            )
        if "nominal_from" in rule and q < Decimal(rule["nominal_from"]):
            raise NetContentError(
                f"a nominal quantity of {q} {self.unit} is below 1 {self.unit}; state it in a smaller unit "
                "(办法附表1)"
            )
        if self.unit == "count" and q != q.to_integral_value():
            raise NetContentError(f"a count must be a whole number, not {q}")

    @property
    def quantity(self) -> str:
        """mass, volume, length, area or count."""
        return str(tolerance_table()["units"][self.unit]["quantity"])

    @property
    def q(self) -> Decimal:
        """Qn in its own unit."""
        assert isinstance(self.value, Decimal)
        return self.value

    @property
    def base(self) -> Decimal:
        """Qn in the unit of the T table: g, mL, m, m² or items."""
        return self.q * Decimal(tolerance_table()["units"][self.unit]["factor"])


class Tolerance(NamedTuple):
    """T in the nominal's unit, the same in the table's unit, and the rule that gave it."""

    T: Decimal
    T_base: Decimal
    rule: str
    clause: str
    edition: str


def _mass_volume_t(qb: Decimal, table: dict[str, Any]) -> tuple[Decimal, str]:
    band = next((b for b in table["mass_volume"] if Decimal(b["above"]) < qb <= Decimal(b["upto"])), None)
    if band is None:
        raise NetContentError(f"T is tabled up to 50 kg (50 L) only; {qb} g or mL is outside the table")
    if band["percent"] is not None:
        raw, rule = qb * Decimal(band["percent"]) / 100, f"{band['percent']} % of Qn"
    else:
        raw, rule = Decimal(band["absolute"]), f"{band['absolute']} g or mL"
    step = next(Decimal(r["step"]) for r in table["rounding_step"] if qb <= Decimal(r["upto"]))
    rounded = raw.quantize(step, rounding=ROUND_HALF_EVEN)
    return rounded, f"{band['above']}<Qn≤{band['upto']}: {rule}, rounded to {step}"


def tolerable_deficiency(value: Decimal | float | int | str, unit: str) -> Tolerance:
    """T for a nominal quantity (办法附表3 with its rounding notes; JJF 1070 §4.3.1).

    Parameters
    ----------
    value, unit
        The nominal quantity Qn as marked, e.g. ``(500, "g")`` or ``(20, "kg")``.

    Returns
    -------
    Tolerance
        ``T`` in the nominal's unit (``T_base`` in g, mL, m, m² or items).

    References
    ----------
    定量包装商品计量监督管理办法 (SAMR Order No. 70) 附表3; OIML R 87 Table 1.

    Examples
    --------
    >>> tolerable_deficiency(150, "g").T            # 4.5 % of 150 = 6.75 → 6.8
    Decimal('6.8')
    >>> tolerable_deficiency(12, "kg").T            # 10–15 kg: 150 g
    Decimal('0.15')
    >>> tolerable_deficiency(20, "kg").T            # 15–50 kg: 1 %, not capped at 150 g
    Decimal('0.2')
    >>> tolerable_deficiency(101, "count").T         # 1.01 → 2 (carried up)
    Decimal('2')
    >>> tolerable_deficiency(5, "m").T
    Decimal('0')
    """
    nominal = Nominal(value, unit)
    table = tolerance_table()
    qb, kind = nominal.base, nominal.quantity
    if kind in ("mass", "volume"):
        t_base, rule = _mass_volume_t(qb, table)
    elif kind == "length":
        limit, pct = Decimal(table["length"]["zero_upto"]), Decimal(table["length"]["percent"])
        t_base = Decimal(0) if qb <= limit else qb * pct / 100
        rule = f"Qn≤{limit} m: 0, else {pct} % of Qn"
    elif kind == "area":
        pct = Decimal(table["area"]["percent"])
        t_base, rule = qb * pct / 100, f"{pct} % of Qn"
    else:
        limit, pct = Decimal(table["count"]["zero_upto"]), Decimal(table["count"]["percent"])
        t_base = Decimal(0) if qb <= limit else (qb * pct / 100).to_integral_value(ROUND_CEILING)
        rule = f"Qn≤{limit}: 0, else {pct} % of Qn carried up to a whole number"
    factor = Decimal(table["units"][unit]["factor"])
    t = (t_base / factor).normalize() if factor != 1 else t_base
    if t == 0:
        t = Decimal(0)
    return Tolerance(t, t_base, rule, CLAUSE_T, str(table["edition"]))


class Plan(NamedTuple):
    """One row of the plan: sample size n, λ (printed), c; ``n`` is N itself for lots of 1–10."""

    lot_size: int
    n: int
    c: int
    lambda_: Decimal | None
    mean_judged: bool
    edition: str
    clause: str


def sampling_plan(lot_size: int) -> Plan:
    """The plan for a lot of ``lot_size`` items (JJF 1070-2005 §5.4.3, 附表4).

    >>> sampling_plan(10)
    Plan(lot_size=10, n=10, c=0, lambda_=None, mean_judged=False, edition='JJF 1070-2005', clause='JJF 1070-2005 §5.4.3, 附表4')
    >>> sampling_plan(5000).n
    125
    """
    if isinstance(lot_size, bool) or not isinstance(lot_size, int):
        raise NetContentError(f"the lot size must be a whole number, not {lot_size!r}")
    if lot_size < 1 or lot_size > MAX_LOT:
        raise NetContentError(f"the lot size must be 1 to {MAX_LOT}, not {lot_size}")
    table = plan_table()
    for row in table["rows"]:
        if row["lot_min"] <= lot_size and (row["lot_max"] is None or lot_size <= row["lot_max"]):
            n = lot_size if row["n"] is None else int(row["n"])
            lam = None if row["lambda"] is None else Decimal(row["lambda"])
            return Plan(lot_size, n, int(row["c"]), lam, lam is not None, str(table["edition"]), CLAUSE_PLAN)
    raise NetContentError(f"no plan row covers a lot of {lot_size}")  # pragma: no cover - table is total


def _plan_for_sample(size: int) -> Plan:
    """Without a lot size: the plan whose sample size is the number of items given."""
    sizes = [int(r["n"]) for r in plan_table()["rows"] if r["n"] is not None]
    for row in plan_table()["rows"]:
        if row["n"] is not None and int(row["n"]) == size:
            return sampling_plan(int(row["lot_min"]))
    raise NetContentError(
        f"{size} items match no plan's sample size ({', '.join(map(str, sizes))}); give the lot size"
    )


@dataclass(frozen=True, slots=True)
class LotSpec:
    """What a lot is judged against: Qn, T, 2T and the plan. Build it with :func:`lot_spec`."""

    nominal: Nominal
    tolerance: Tolerance
    plan: Plan

    def __post_init__(self) -> None:
        if self.plan.lot_size < self.plan.n:
            raise NetContentError("the plan's sample is larger than the lot")

    @property
    def qn(self) -> float:
        return float(self.nominal.q)

    @property
    def t(self) -> float:
        return float(self.tolerance.T)


def lot_spec(nominal: Nominal, lot_size: int | None = None, sample_size: int | None = None) -> LotSpec:
    """T and the plan for a lot; without ``lot_size`` the plan whose n equals ``sample_size``.

    >>> lot_spec(Nominal(1, "L"), lot_size=60).plan.n
    13
    """
    if lot_size is None:
        if sample_size is None:
            raise NetContentError("give the lot size or the number of items measured")
        plan = _plan_for_sample(sample_size)
    else:
        plan = sampling_plan(lot_size)
    return LotSpec(nominal, tolerable_deficiency(nominal.q, nominal.unit), plan)


class Step(NamedTuple):
    """One step of the decision: what was checked, the clause, the figure and whether it holds."""

    name: str
    clause: str
    value: str
    ok: bool


@dataclass(frozen=True, slots=True)
class Verdict:
    """The lot decision with every step and its clause (JJF 1070 §4.3, §6).

    ``limit`` is Qn − λ·s (``None`` for lots of 1–10); ``t1_items``/``t2_items`` are the
    0-based positions of the items with T1/T2 errors in the order given.
    """

    decision: str
    Qn: float
    unit: str
    T: float
    n: int
    c: int
    lambda_: float | None
    mean: float
    s: float
    limit: float | None
    t1: int
    t2: int
    t1_items: tuple[int, ...]
    t2_items: tuple[int, ...]
    steps: tuple[Step, ...]
    reasons: tuple[str, ...]
    edition_T: str
    edition_plan: str

    def as_dict(self) -> dict[str, Any]:
        """The CLI/API shape: ``decision, T, n, c, lambda, mean, s, limit, t1, t2, reasons``."""
        return {
            "decision": self.decision,
            "T": self.T,
            "n": self.n,
            "c": self.c,
            "lambda": self.lambda_,
            "mean": self.mean,
            "s": self.s,
            "limit": self.limit,
            "t1": self.t1,
            "t2": self.t2,
            "reasons": list(self.reasons),
        }


def _check_values(values: Sequence[float], plan: Plan) -> list[float]:
    if len(values) != plan.n:
        if plan.lot_size < len(values):
            raise NetContentError(f"the lot of {plan.lot_size} is smaller than the {len(values)} items given")
        raise NetContentError(
            f"the plan for a lot of {plan.lot_size} needs {plan.n} items, not {len(values)} ({plan.clause})"
        )
    out = [float(v) for v in values]
    for i, v in enumerate(out):
        if not math.isfinite(v) or v < 0:
            raise NetContentError(
                f"item {i + 1}: the net content must be a non-negative number, not {values[i]!r}"
            )
    return out


def judge(nominal: Nominal | LotSpec, values: Sequence[float], lot_size: int | None = None) -> Verdict:
    """Judge a lot from the net contents of its sample (JJF 1070 §4.3, §6; plan 附表4).

    Parameters
    ----------
    nominal
        Qn and its unit, or a prepared :class:`LotSpec` (fast path for many lots).
    values
        Net content of every sampled item, in the nominal's unit, exactly n of them.
    lot_size
        N; without it the plan whose sample size is ``len(values)``.

    Examples
    --------
    >>> v = judge(Nominal(200, "g"), [200.5] * 9 + [188.0], lot_size=40)   # T = 9 g, deficit 12 g
    >>> v.decision, v.t1, v.reasons
    ('fail', 1, ('1 items with a T1 error (T < Qn − q ≤ 2T), more than c = 0',))
    """
    spec = nominal if isinstance(nominal, LotSpec) else lot_spec(nominal, lot_size, len(values))
    xs = _check_values(values, spec.plan)
    return _decide(spec, xs)


def _decide(spec: LotSpec, xs: list[float]) -> Verdict:
    plan, qn, t = spec.plan, spec.qn, spec.t
    n = len(xs)
    mean = math.fsum(xs) / n
    s = math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (n - 1)) if n > 1 else 0.0
    t1_items = tuple(i for i, x in enumerate(xs) if t < qn - x <= 2 * t)
    t2_items = tuple(i for i, x in enumerate(xs) if qn - x > 2 * t)
    reasons: list[str] = []
    steps = [
        Step("T", spec.tolerance.clause, f"T = {spec.tolerance.T} {spec.nominal.unit}", True),
        Step(
            "plan", plan.clause, f"N = {plan.lot_size}, n = {plan.n}, c = {plan.c}, λ = {plan.lambda_}", True
        ),
    ]
    limit = None
    lam = float(plan.lambda_) if plan.lambda_ is not None else None
    if lam is not None:
        limit = qn - lam * s
        ok = mean >= limit
        steps.append(Step("mean", CLAUSE_MEAN, f"q̄ = {mean:.6g}, Qn − λ·s = {limit:.6g}", ok))
        if not ok:
            reasons.append(f"mean {mean:.6g} is below Qn − λ·s = {limit:.6g}")
    else:
        steps.append(Step("mean", CLAUSE_SMALL, "lot of 1–10: mean not judged", True))
    ok1 = len(t1_items) <= plan.c
    steps.append(Step("t1", CLAUSE_T1, f"T1 errors: {len(t1_items)} (c = {plan.c})", ok1))
    if not ok1:
        reasons.append(f"{len(t1_items)} items with a T1 error (T < Qn − q ≤ 2T), more than c = {plan.c}")
    steps.append(Step("t2", CLAUSE_T2, f"T2 errors: {len(t2_items)}", not t2_items))
    if t2_items:
        reasons.append(f"{len(t2_items)} items with a T2 error (Qn − q > 2T = {2 * t:.6g})")
    return Verdict(
        "fail" if reasons else "pass", qn, spec.nominal.unit, t, plan.n, plan.c, lam, mean, s, limit,
        len(t1_items), len(t2_items), t1_items, t2_items, tuple(steps), tuple(reasons),
        spec.tolerance.edition, plan.edition,
    )  # fmt: skip


def net_from_gross(
    gross: Sequence[float], tare: Sequence[float] | float, method: str = "individual"
) -> list[float]:
    """Net contents by removing the tare (JJF 1070 附录B 除皮方法).

    ``method="individual"``: each item's own tare (``tare`` as long as ``gross``);
    ``method="average"``: one average tare of a tare sample (``tare`` the tares weighed, or their mean).
    The conditions under which the average tare may be used are the inspector's to check
    (附录B; not encoded here: the 2023 text was not read).

    >>> net_from_gross([510.0, 512.0], [10.0, 11.0])
    [500.0, 501.0]
    >>> net_from_gross([510.0, 512.0], [9.0, 11.0], method="average")
    [500.0, 502.0]
    """
    g = [float(x) for x in gross]
    if method == "individual":
        if isinstance(tare, (int, float)) or len(tare) != len(g):
            raise NetContentError("individual tare needs one tare per item")
        tares = [float(x) for x in tare]
    elif method == "average":
        ts = [float(tare)] if isinstance(tare, (int, float)) else [float(x) for x in tare]
        if not ts:
            raise NetContentError("average tare needs at least one tare weighed")
        tares = [math.fsum(ts) / len(ts)] * len(g)
    else:
        raise NetContentError(f"tare method must be individual or average, not {method!r}")
    for i, (x, w) in enumerate(zip(g, tares, strict=True)):
        if not (math.isfinite(x) and math.isfinite(w)) or x < 0 or w < 0:
            raise NetContentError(f"item {i + 1}: gross and tare must be non-negative numbers")
        if w > x:
            raise NetContentError(f"item {i + 1}: the tare {w} exceeds the gross {x}")
    return [x - w for x, w in zip(g, tares, strict=True)]


def judge_many(spec: LotSpec, values: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Pass (True) or fail for many lots at once: ``values`` has one row of n net contents per lot.

    The same rule as :func:`judge`, vectorised (OC simulation, benchmarks).

    >>> spec = lot_spec(Nominal(500, "g"), lot_size=300)
    >>> judge_many(spec, np.array([[501.0] * 50, [490.0] * 50])).tolist()
    [True, False]
    """
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != spec.plan.n:
        raise NetContentError(f"values must have shape (lots, {spec.plan.n})")
    deficit = spec.qn - arr
    t = spec.t
    t1 = ((deficit > t) & (deficit <= 2 * t)).sum(axis=1)
    ok = (t1 <= spec.plan.c) & ~(deficit > 2 * t).any(axis=1)
    if spec.plan.lambda_ is not None:
        s = arr.std(axis=1, ddof=1)
        ok &= arr.mean(axis=1) >= spec.qn - float(spec.plan.lambda_) * s
    result: NDArray[np.bool_] = ok
    return result


class PassProbability(NamedTuple):
    """P(pass) of a lot from a filling process N(μ, σ), by simulation, with its standard error."""

    p: float
    se: float
    lots: int
    mu: float
    sigma: float


def pass_probability(
    spec: LotSpec, mu: float, sigma: float, rng: np.random.Generator, lots: int = 20000
) -> PassProbability:
    """The plan's OC at a filling process with mean ``mu`` and sd ``sigma`` (simulated, seeded).

    Items are drawn independently from N(μ, σ) (a large lot); each simulated lot is judged by
    :func:`judge_many`.

    >>> spec = lot_spec(Nominal(500, "g"), lot_size=1000)
    >>> r = pass_probability(spec, 505.0, 4.0, np.random.default_rng(1), lots=2000)
    >>> r.p > 0.99
    True
    >>> pass_probability(spec, 495.0, 4.0, np.random.default_rng(1), lots=2000).p < 0.01
    True
    """
    if not (math.isfinite(mu) and math.isfinite(sigma)) or sigma < 0 or mu < 0:
        raise NetContentError("the filling mean and sd must be finite and non-negative")
    if not 1 <= lots <= 10**6:
        raise NetContentError("simulate 1 to 1,000,000 lots")
    ok = np.empty(lots, dtype=bool)
    chunk = max(1, 200_000 // spec.plan.n)
    for start in range(0, lots, chunk):
        k = min(chunk, lots - start)
        ok[start : start + k] = judge_many(spec, rng.normal(mu, sigma, size=(k, spec.plan.n)))
    p = float(ok.mean())
    return PassProbability(p, math.sqrt(p * (1 - p) / lots), lots, mu, sigma)


#: Largest balance CSV accepted (bytes) and rows in it.
MAX_CSV_BYTES = 256 * 1024
MAX_CSV_ROWS = 2000
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _number(cell: str, row: int, column: str) -> float:
    text = cell.strip()
    if not _NUMBER.match(text):
        raise NetContentError(f"row {row}: {column} {text[:20]!r} is not a number")
    value = float(text)
    if not math.isfinite(value) or value < 0:
        raise NetContentError(f"row {row}: {column} must be a non-negative number, not {text[:20]!r}")
    return value


def read_lot_csv(data: bytes | str, max_bytes: int = MAX_CSV_BYTES) -> list[float]:
    """Net contents from a balance's CSV: one item a row, column ``net``, or ``gross`` and ``tare``.

    Other columns are ignored; a UTF-8 BOM is allowed. Anything else (no such column, an empty or
    non-numeric cell, a negative weight, a tare above the gross, too many bytes or rows) is refused
    with a one-line reason naming the row.

    >>> read_lot_csv("item,net\\n1,500.2\\n2,499.8\\n")
    [500.2, 499.8]
    >>> read_lot_csv("gross,tare\\n512.0,12.0\\n")
    [500.0]
    >>> read_lot_csv("net\\n=cmd()\\n")
    Traceback (most recent call last):
    ...
    jiliang.stats.netcontent.NetContentError: row 2: net '=cmd()' is not a number
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise NetContentError(f"the CSV is {len(raw)} bytes; at most {max_bytes} are accepted")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NetContentError("the CSV is not UTF-8 text") from None
    if "\x00" in text:
        raise NetContentError("the CSV contains NUL bytes")
    try:
        rows = list(csv.reader(io.StringIO(text), strict=True))
    except csv.Error as exc:
        raise NetContentError(f"the CSV is malformed: {exc}") from None
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise NetContentError("the CSV is empty")
    if len(rows) - 1 > MAX_CSV_ROWS:
        raise NetContentError(f"the CSV has {len(rows) - 1} rows; at most {MAX_CSV_ROWS} are accepted")
    header = [h.strip().lower() for h in rows[0]]
    return _values_from_rows(header, rows[1:])


def _values_from_rows(header: list[str], body: list[list[str]]) -> list[float]:
    if "net" in header:
        cols = [header.index("net")]
    elif "gross" in header and "tare" in header:
        cols = [header.index("gross"), header.index("tare")]
    else:
        raise NetContentError("the CSV needs a column net, or gross and tare")
    if not body:
        raise NetContentError("the CSV has a header but no items")
    out = []
    for k, row in enumerate(body, start=2):
        if len(row) <= max(cols):
            raise NetContentError(f"row {k}: too few cells")
        nums = [_number(row[c], k, header[c]) for c in cols]
        if len(nums) == 2 and nums[1] > nums[0]:
            raise NetContentError(f"row {k}: the tare {nums[1]} exceeds the gross {nums[0]}")
        out.append(nums[0] - nums[1] if len(nums) == 2 else nums[0])
    return out


def draw_sample(seed: str, lot_size: int, n: int) -> tuple[int, ...]:
    """The items to take: n distinct positions 1…N, sorted, drawn from a hex seed (replayable).

    The seed (at least 64 bits, hex) seeds numpy's PCG64; anyone with the seed, N and n gets the
    same items (JJF 1070 §5.4.4: every item equally likely to be drawn).

    >>> draw_sample("00112233445566778899aabbccddeeff", 300, 5)
    (1, 56, 62, 175, 255)
    """
    text = seed.strip().lower()
    if not 16 <= len(text) <= 64 or any(ch not in "0123456789abcdef" for ch in text):
        raise NetContentError("the seed must be 16 to 64 hex digits")
    if not 1 <= n <= lot_size <= MAX_LOT:
        raise NetContentError(f"cannot draw {n} items from a lot of {lot_size}")
    rng = np.random.Generator(np.random.PCG64(int(text, 16)))
    picked = rng.choice(lot_size, size=n, replace=False)
    return tuple(sorted(int(i) + 1 for i in picked))
