"""In-service meter lots with extended replacement (在用电能表状态评价及延期更换): the pure core.

A regional rule (JJF(沪)57-2018, JJF(鲁)107-2022, Measurement Canada S-S-06) is *data*
(``meters/data/lot_rules/*.json``, read by :mod:`jiliang.meters.lotrules`); this module takes it
as a :class:`LotRule` and does the arithmetic:

1. :func:`form_lots` groups meters by the rule's homogeneity keys (kind, maker, model, batch, year
   of installation, utility), drops groups below the rule's minimum and splits groups above its
   maximum into near-equal parts (columnar, Polars and NumPy, no Python loop over meters);
2. :func:`plan_for` picks the rule's plan row for the lot size ``N`` → ``n, Ac, Re``;
3. :func:`draw_sample` draws a seeded random permutation of the lot (sorted meter numbers,
   PCG64 seeded with the recorded seed, so a third party can replay it); the sample is the first
   ``n`` meters, the rest are the reserve list in order;
4. :func:`apply_replacements` replaces inaccessible sampled meters by the next accessible meters of
   the permutation, in order — the result is a simple random sample of the accessible meters;
5. :func:`decide_lot` compares the number of nonconforming meters ``d`` with ``Ac``/``Re``;
6. :func:`fraction_estimate` and :func:`pass_probability` combine every meter's remote error
   estimate (error ± u against its limit) into the lot's estimated nonconforming fraction and its
   uncertainty, and the probability the lot passes the plan before a meter is pulled (the plan's OC
   curve integrated over a Beta distribution of the fraction).

References
----------
GB/T 2828.2-2008 (ISO 2859-2) limiting-quality plans for isolated lots; GB/T 10111-2008 random
numbers; Measurement Canada S-S-06, S-S-01, GEN-49 rev. 1 §3.0; JJF(冀)174-2020 operating-error
limits.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from jiliang.errors import InputError

__all__ = [
    "LOT_KEYS",
    "FractionEstimate",
    "LotDecision",
    "LotError",
    "LotFormation",
    "LotRule",
    "MeterFleet",
    "PlanRow",
    "Replacement",
    "SampleDraw",
    "SamplingPlan",
    "apply_replacements",
    "decide_lot",
    "draw_sample",
    "form_lots",
    "fraction_estimate",
    "lot_fractions",
    "members_digest",
    "oc",
    "p_nonconforming",
    "pass_probability",
    "plan_for",
]

LOT_KEYS = ("kind", "maker", "model", "batch", "install_year", "utility")


class LotError(InputError):
    """A lot, plan, sample or result that breaks the rule; the message names the value."""

    code = "invalid_lot"


@dataclass(frozen=True, slots=True)
class PlanRow:
    """One row of a rule's plan table: lots of ``lot_min``–``lot_max`` meters → ``n``, ``ac``."""

    lot_min: int
    lot_max: int | None
    n: int
    ac: int

    def __post_init__(self) -> None:
        if self.lot_min < 1 or self.n < 1 or self.ac < 0 or self.ac >= self.n:
            raise LotError(f"plan row {self} is not a plan (1 ≤ lot_min, 0 ≤ Ac < n)")
        if self.lot_max is not None and self.lot_max < self.lot_min:
            raise LotError(f"plan row {self}: lot_max below lot_min")


@dataclass(frozen=True, slots=True)
class LotRule:
    """A regional rule as data: lot constraints, plan rows, limits, decision and replacement."""

    key: str
    code: str
    edition: str
    effective_from: date | None
    meter_kinds: tuple[str, ...]
    keys: tuple[str, ...]
    min_size: int
    max_size: int | None
    rows: tuple[PlanRow, ...]
    lq_pct: float
    limits_pct: Mapping[str, float]
    extend_years: int
    replacement_allowed: bool
    clauses: Mapping[str, str]
    verified: Mapping[str, str]

    def __post_init__(self) -> None:
        if not self.rows:
            raise LotError(f"rule {self.key!r} has no plan rows")
        if set(self.keys) - set(LOT_KEYS):
            raise LotError(f"rule {self.key!r}: unknown lot keys {sorted(set(self.keys) - set(LOT_KEYS))}")
        if self.min_size < 1 or (self.max_size is not None and self.max_size < self.min_size):
            raise LotError(f"rule {self.key!r}: lot size limits {self.min_size}–{self.max_size}")
        if self.extend_years < 1:
            raise LotError(f"rule {self.key!r}: extend_years {self.extend_years} < 1")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> LotRule:
        """Build a rule from its data file's content (see ``meters/data/lot_rules``)."""
        lot, plan, dec, rep = data["lot"], data["plan"], data["decision"], data["replacement"]
        eff = data.get("effective_from")
        return cls(
            key=str(data["key"]),
            code=str(data["code"]),
            edition=str(data["edition"]),
            effective_from=date.fromisoformat(eff) if eff else None,
            meter_kinds=tuple(data["meter_kinds"]),
            keys=tuple(lot["same"]),
            min_size=int(lot["min_size"]),
            max_size=None if lot["max_size"] is None else int(lot["max_size"]),
            rows=tuple(PlanRow(r["lot_min"], r["lot_max"], r["n"], r["ac"]) for r in plan["rows"]),
            lq_pct=float(plan["lq_pct"]),
            limits_pct={str(k): float(v) for k, v in data["nonconforming"]["limit_pct_by_class"].items()},
            extend_years=int(dec["extend_years"]),
            replacement_allowed=bool(rep["allowed"]),
            clauses={
                "lot": str(lot["clause"]),
                "plan": str(plan["clause"]),
                "extend": str(dec["extend_clause"]),
                "replace": str(dec["replace_clause"]),
                "replacement": str(rep["clause"]),
            },
            verified={
                "lot": str(lot["verified"]).lower(),
                "plan": str(plan["verified"]).lower(),
                "decision": str(dec["verified"]).lower(),
                "replacement": str(rep["verified"]).lower(),
            },
        )


@dataclass(frozen=True, slots=True)
class SamplingPlan:
    """The plan for one lot: lot size ``N``, sample size ``n``, acceptance ``Ac``, rejection ``Re``."""

    N: int
    n: int
    Ac: int
    Re: int
    lq_pct: float
    clause: str
    verified: str


def plan_for(rule: LotRule, N: int) -> SamplingPlan:
    """The rule's plan for a lot of ``N`` meters.

    Raises :class:`LotError` when ``N`` is outside the rule's lot limits or the lot is smaller than
    its sample.

    Examples
    --------
    >>> rule = _example_rule()
    >>> p = plan_for(rule, 2000)
    >>> (p.n, p.Ac, p.Re)
    (45, 0, 1)
    >>> plan_for(rule, 40)
    Traceback (most recent call last):
    ...
    jiliang.meters.lots.LotError: lot of 40 meters is below the minimum lot size 100 of T-1
    """
    if N < rule.min_size:
        raise LotError(f"lot of {N} meters is below the minimum lot size {rule.min_size} of {rule.code}")
    if rule.max_size is not None and N > rule.max_size:
        raise LotError(f"lot of {N} meters is above the maximum lot size {rule.max_size} of {rule.code}")
    for row in rule.rows:
        if N >= row.lot_min and (row.lot_max is None or N <= row.lot_max):
            if row.n > N:
                raise LotError(f"lot of {N} meters is smaller than the sample n = {row.n} of {rule.code}")
            return SamplingPlan(
                N, row.n, row.ac, row.ac + 1, rule.lq_pct, rule.clauses["plan"], rule.verified["plan"]
            )
    raise LotError(f"no plan row of {rule.code} covers a lot of {N} meters")


@dataclass(frozen=True, slots=True)
class MeterFleet:
    """Meters as a Polars frame, one row per meter: ``meter_no`` and the keys of :data:`LOT_KEYS`."""

    frame: pl.DataFrame

    def __post_init__(self) -> None:
        missing = {"meter_no", *LOT_KEYS} - set(self.frame.columns)
        if missing:
            raise LotError(f"meter list lacks the columns {sorted(missing)}")
        df = self.frame
        if df.height and df["meter_no"].is_duplicated().any():
            dup = df.filter(df["meter_no"].is_duplicated())["meter_no"][0]
            raise LotError(f"meter number {dup!r} appears more than once")
        years = df["install_year"]
        if df.height and (years.null_count() or int(years.min()) < 1900 or int(years.max()) > 2200):  # type: ignore[arg-type]
            raise LotError("install_year must be a year within 1900–2200 for every meter")

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]]) -> MeterFleet:
        """A fleet from row mappings with ``meter_no`` and the keys of :data:`LOT_KEYS`."""
        cols: dict[str, Any] = {
            k: [str(r[k]) for r in rows] for k in ("meter_no", *LOT_KEYS) if k != "install_year"
        }
        cols["install_year"] = [int(r["install_year"]) for r in rows]
        return cls(pl.DataFrame(cols, schema_overrides={"install_year": pl.Int64}))

    def __len__(self) -> int:
        return self.frame.height


@dataclass(frozen=True, slots=True)
class LotFormation:
    """Lots formed from a fleet: ``lot_of[i]`` is meter i's lot (−1: its group is too small);
    ``keys[j]``, ``sizes[j]`` and ``part[j]`` describe lot j."""

    lot_of: npt.NDArray[np.int64]
    keys: tuple[tuple[str, ...], ...]
    sizes: npt.NDArray[np.int64]
    part: npt.NDArray[np.int64]
    too_small: int

    def members(self, lot: int, fleet: MeterFleet) -> list[str]:
        """The meter numbers of one lot, sorted."""
        return sorted(fleet.frame["meter_no"].filter(pl.Series(self.lot_of == lot)).to_list())

    def all_members(self, fleet: MeterFleet) -> list[list[str]]:
        """The sorted meter numbers of every lot, in lot order (one pass over the fleet)."""
        grouped = (
            pl.DataFrame({"lot": self.lot_of, "meter_no": fleet.frame["meter_no"]})
            .filter(pl.col("lot") >= 0)
            .group_by("lot")
            .agg(pl.col("meter_no").sort())
            .sort("lot")
        )
        return [list(m) for m in grouped["meter_no"].to_list()]


def _groups(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """One row per distinct key combination, in key order: ``gid``, the keys, ``gsize``."""
    return (
        frame.lazy()
        .group_by(keys)
        .agg(pl.len().cast(pl.Int64).alias("gsize"))
        .sort(keys)
        .with_row_index("gid")
        .with_columns(pl.col("gid").cast(pl.Int64))
        .collect()
    )


def _assign(frame: pl.DataFrame, groups: pl.DataFrame, keys: list[str], max_size: int | None) -> pl.DataFrame:
    """Per meter: row index ``i``, ``gid``, ``part`` (groups above ``max_size`` split into
    near-equal parts by meter number) and ``size`` of its (group, part)."""
    df = (
        frame.lazy()
        .with_row_index("i")
        .join(groups.lazy(), on=keys)
        .select(["i", "gid", "gsize", "meter_no"])
    )
    if max_size is None:
        df = df.with_columns(pl.lit(0, pl.Int64).alias("part"))
    else:
        rank = pl.col("meter_no").rank("ordinal").over("gid").cast(pl.Int64) - 1
        parts = (pl.col("gsize") + max_size - 1) // max_size
        df = df.with_columns((rank * parts // pl.col("gsize")).alias("part"))
    return df.with_columns(pl.len().over(["gid", "part"]).cast(pl.Int64).alias("size")).collect()


def form_lots(fleet: MeterFleet, rule: LotRule) -> LotFormation:
    """Form the rule's lots: same values of every key; groups below ``min_size`` are left out
    (``too_small`` counts their meters), groups above ``max_size`` split into near-equal parts.

    Examples
    --------
    >>> rows = [dict(meter_no=f"M{i:03}", kind="electricity", maker="A", model="X", batch="B1",
    ...              install_year=2018 + i % 2, utility="P") for i in range(300)]
    >>> f = form_lots(MeterFleet.from_rows(rows), _example_rule())
    >>> f.sizes.tolist(), f.too_small
    ([150, 150], 0)
    """
    if len(fleet) == 0:
        raise LotError("no meters to form lots from")
    keys = list(rule.keys)
    groups = _groups(fleet.frame, keys)
    df = _assign(fleet.frame, groups, keys, rule.max_size)
    kept = df.filter(pl.col("size") >= rule.min_size)
    lots = (
        kept.group_by(["gid", "part"])
        .agg(pl.col("size").first())
        .sort(["gid", "part"])
        .with_row_index("lot")
        .with_columns(pl.col("lot").cast(pl.Int64))
    )
    joined = kept.select(["i", "gid", "part"]).join(lots.select(["gid", "part", "lot"]), on=["gid", "part"])
    lot_of = np.full(fleet.frame.height, -1, dtype=np.int64)
    lot_of[joined["i"].to_numpy()] = joined["lot"].to_numpy()
    named = lots.join(groups.select(["gid", *keys]), on="gid").sort("lot")
    key_rows = tuple(tuple(str(v) for v in row) for row in named.select(keys).iter_rows())
    sizes = lots["size"].to_numpy().astype(np.int64)
    return LotFormation(
        lot_of, key_rows, sizes, lots["part"].to_numpy().astype(np.int64), int((lot_of < 0).sum())
    )


@dataclass(frozen=True, slots=True)
class SampleDraw:
    """A recorded draw: ``order`` is the seeded permutation of the sorted members; the sample is
    its first ``n``; ``members_sha256`` fixes the list the permutation was drawn from."""

    seed: int
    n: int
    order: tuple[str, ...]
    members_sha256: str

    @property
    def sample(self) -> tuple[str, ...]:
        return self.order[: self.n]

    @property
    def reserve(self) -> tuple[str, ...]:
        return self.order[self.n :]


def members_digest(members: Sequence[str]) -> str:
    """SHA-256 of the sorted meter numbers, one per line (what the permutation was drawn from)."""
    return hashlib.sha256("\n".join(sorted(members)).encode("utf-8")).hexdigest()


def draw_sample(members: Sequence[str], plan: SamplingPlan, seed: int) -> SampleDraw:
    """Seeded random permutation of the lot's sorted meter numbers (PCG64(seed)).

    Examples
    --------
    >>> plan = SamplingPlan(N=5, n=2, Ac=0, Re=1, lq_pct=5.0, clause="", verified="false")
    >>> d = draw_sample(["M5", "M1", "M3", "M2", "M4"], plan, seed=7)
    >>> d == draw_sample(["M1", "M2", "M3", "M4", "M5"], plan, seed=7)
    True
    >>> len(d.sample), len(d.reserve)
    (2, 3)
    """
    if len(members) != plan.N:
        raise LotError(f"the lot has {len(members)} meters, the plan was made for N = {plan.N}")
    if plan.n > len(members):
        raise LotError(f"lot of {len(members)} meters is smaller than the sample n = {plan.n}")
    if not 0 <= seed < 2**63:
        raise LotError(f"seed {seed} must be within 0 … 2**63 − 1")
    ordered = sorted(members)
    perm = np.random.Generator(np.random.PCG64(seed)).permutation(len(ordered))
    return SampleDraw(seed, plan.n, tuple(ordered[i] for i in perm.tolist()), members_digest(ordered))


@dataclass(frozen=True, slots=True)
class Replacement:
    """An inaccessible sampled meter and the reserve meter that took its place."""

    out: str
    into: str


def apply_replacements(
    draw: SampleDraw, inaccessible: Sequence[str], allowed: bool = True
) -> tuple[tuple[str, ...], tuple[Replacement, ...]]:
    """The effective sample: the first ``n`` accessible meters of the permutation, and the
    replacements made (each inaccessible sampled meter paired with the next accessible reserve).

    Examples
    --------
    >>> d = SampleDraw(seed=1, n=2, order=("A", "B", "C", "D"), members_sha256="")
    >>> apply_replacements(d, ["B"])
    (('A', 'C'), (Replacement(out='B', into='C'),))
    """
    gone = set(inaccessible)
    unknown = gone - set(draw.order)
    if unknown:
        raise LotError(f"meters not in the lot: {sorted(unknown)[:5]}")
    if gone and not allowed:
        raise LotError(
            "the rule allows no replacement of sampled meters (every meter is subject to sampling)",
            code="lot_no_replacement",
        )
    sample = tuple(m for m in draw.order if m not in gone)[: draw.n]
    if len(sample) < draw.n:
        raise LotError(
            f"only {len(sample)} accessible meters left for a sample of {draw.n}",
            code="lot_too_few_accessible",
            details={"left": len(sample), "n": draw.n},
        )
    outs = [m for m in draw.sample if m in gone]
    ins = [m for m in sample if m not in draw.sample]
    return sample, tuple(Replacement(o, i) for o, i in zip(outs, ins, strict=True))


@dataclass(frozen=True, slots=True)
class LotDecision:
    """The lot decision: ``extend`` (by ``years``), ``replace`` or ``pending`` (sample incomplete)."""

    decision: str
    d: int
    tested: int
    n: int
    Ac: int
    Re: int
    years: int
    clause: str


def decide_lot(rule: LotRule, plan: SamplingPlan, tested: int, d: int) -> LotDecision:
    """Decide from ``d`` nonconforming meters among ``tested`` of the sample: ``d ≥ Re`` replaces
    the lot (possibly before the sample is complete, semi-curtailed as in S-01), ``d ≤ Ac`` with
    the whole sample tested extends it by the rule's years, otherwise the decision is pending.

    Examples
    --------
    >>> rule = _example_rule(); plan = plan_for(rule, 2000)
    >>> decide_lot(rule, plan, 45, 0).decision, decide_lot(rule, plan, 3, 1).decision
    ('extend', 'replace')
    >>> decide_lot(rule, plan, 10, 0).decision
    'pending'
    """
    if not 0 <= d <= tested <= plan.n:
        raise LotError(f"results 0 ≤ d = {d} ≤ tested = {tested} ≤ n = {plan.n} do not hold")
    if d >= plan.Re:
        return LotDecision("replace", d, tested, plan.n, plan.Ac, plan.Re, 0, rule.clauses["replace"])
    if tested == plan.n:
        return LotDecision(
            "extend", d, tested, plan.n, plan.Ac, plan.Re, rule.extend_years, rule.clauses["extend"]
        )
    return LotDecision("pending", d, tested, plan.n, plan.Ac, plan.Re, 0, rule.clauses["plan"])


def _normal_sf(z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    from scipy.special import ndtr

    return np.asarray(ndtr(-z), dtype=np.float64)


def p_nonconforming(
    error_pct: npt.ArrayLike, u_pct: npt.ArrayLike, limit_pct: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Per meter, P(|E| > L) for E ~ N(ê, u²): the chance the meter fails a field check.

    >>> p_nonconforming([0.0, 3.0], [0.5, 0.5], [1.75, 1.75]).round(4).tolist()
    [0.0005, 0.9938]
    """
    e, u, lim = (np.asarray(a, dtype=np.float64) for a in (error_pct, u_pct, limit_pct))
    u = np.maximum(u, 1e-9)
    return _normal_sf((lim - e) / u) + _normal_sf((lim + e) / u)


@dataclass(frozen=True, slots=True)
class FractionEstimate:
    """Estimated nonconforming fraction ``p`` of a lot and its standard uncertainty ``u_p``, from
    ``m`` of the lot's ``N`` meters with a remote estimate."""

    p: float
    u_p: float
    m: int
    N: int


def fraction_estimate(p_i: npt.ArrayLike, N: int) -> FractionEstimate:
    """p = mean of the per-meter probabilities; u_p² = Σ p_i(1 − p_i)/m² (Poisson-binomial spread
    of the count) + p(1 − p)/m · (1 − m/N) (the meters without an estimate, finite-population).

    >>> e = fraction_estimate([0.01] * 90 + [0.5] * 10, 200)
    >>> round(e.p, 3), round(e.u_p, 4), e.m
    (0.059, 0.0248, 100)
    """
    p = np.asarray(p_i, dtype=np.float64)
    m = int(p.size)
    if N < 1 or m > N:
        raise LotError(f"{m} estimates for a lot of N = {N} meters")
    if m == 0:
        return FractionEstimate(math.nan, math.nan, 0, N)
    mean = float(p.mean())
    var = float((p * (1 - p)).sum()) / m**2 + mean * (1 - mean) / m * (1 - m / N)
    return FractionEstimate(mean, math.sqrt(var), m, N)


def lot_fractions(
    lot_of: npt.NDArray[np.int64], p_i: npt.NDArray[np.float64], sizes: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """:func:`fraction_estimate` for every lot at once (``p_i`` NaN: no estimate); returns p, u_p, m."""
    ok = (lot_of >= 0) & np.isfinite(p_i)
    k = len(sizes)
    m = np.bincount(lot_of[ok], minlength=k)
    s1 = np.bincount(lot_of[ok], weights=p_i[ok], minlength=k)
    s2 = np.bincount(lot_of[ok], weights=(p_i * (1 - p_i))[ok], minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = s1 / m
        var = s2 / m**2 + p * (1 - p) / m * (1 - m / sizes)
    return p, np.sqrt(var), m.astype(np.int64)


def oc(n: int, ac: int, p: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Probability of acceptance P_a(p) = Σ_{d ≤ Ac} C(n, d) pᵈ (1 − p)ⁿ⁻ᵈ (binomial OC curve).

    >>> oc(45, 0, [0.0, 0.05]).round(4).tolist()
    [1.0, 0.0994]
    """
    q = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
    return np.asarray(
        sum(math.comb(n, d) * q**d * (1 - q) ** (n - d) for d in range(ac + 1)), dtype=np.float64
    )


_GRID = (np.arange(4000) + 0.5) / 4000  # midpoints on (0, 1) for the Beta integral


def pass_probability(plan: SamplingPlan, est: FractionEstimate) -> float:
    """P(lot passes) before sampling: the OC at the estimated fraction, averaged over a Beta
    distribution with mean ``p`` and standard deviation ``u_p`` (moments matched; the point value
    when ``u_p`` is 0 or the moments admit no Beta).

    >>> plan = SamplingPlan(N=2000, n=45, Ac=0, Re=1, lq_pct=5.0, clause="", verified="false")
    >>> round(pass_probability(plan, FractionEstimate(0.01, 0.0, 100, 2000)), 4)
    0.6362
    >>> 0.5 < pass_probability(plan, FractionEstimate(0.01, 0.005, 100, 2000)) < 0.7
    True
    """
    if not math.isfinite(est.p):
        return math.nan
    var = est.u_p**2
    if var <= 0 or var >= est.p * (1 - est.p):
        return float(oc(plan.n, plan.Ac, est.p))
    common = est.p * (1 - est.p) / var - 1
    a, b = est.p * common, (1 - est.p) * common
    logw = (a - 1) * np.log(_GRID) + (b - 1) * np.log1p(-_GRID)
    w = np.exp(logw - logw.max())
    return float((w * oc(plan.n, plan.Ac, _GRID)).sum() / w.sum())


def _example_rule() -> LotRule:
    """A small rule for the doctests (not a statutory rule)."""
    return LotRule(
        key="t-1",
        code="T-1",
        edition="test",
        effective_from=None,
        meter_kinds=("electricity",),
        keys=LOT_KEYS,
        min_size=100,
        max_size=None,
        rows=(PlanRow(100, 3200, 45, 0), PlanRow(3201, None, 77, 1)),
        lq_pct=5.0,
        limits_pct={"1": 1.75, "2": 3.5},
        extend_years=4,
        replacement_allowed=True,
        clauses={k: k for k in ("lot", "plan", "extend", "replace", "replacement")},
        verified={k: "false" for k in ("lot", "plan", "decision", "replacement")},
    )
