"""Verifiable random draws for 双随机、一公开 inspections (algorithm ``jiliang-draw/1``).

The draw is simple enough for anyone to re-implement from this description:

1. **Seed.** At least 16 bytes (128 bits), given as hex. Its commitment ``SHA-256(seed)`` is
   published before the draw; the seed is published with the results. If a public value (a
   beacon round, a lottery number) is named, the draw key is ``K = SHA-256(seed ‖ public)``,
   otherwise ``K = seed``.
2. **Targets.** Sorted by ``id``; one stratum per credit class (A–D). In stratum ``s`` with
   ``N_s`` targets and ratio ``r_s`` the count is ``n_s = ⌈r_s · N_s⌉``, computed exactly on the
   decimal ratio (``0.05 · 30 = 1.5 → 2``; ``0 → 0``; ``1 → N_s``). Each target gets the rank key
   ``SHA-256(K ‖ 0x00 ‖ stratum ‖ 0x00 ‖ id)`` (UTF-8); the ``n_s`` smallest keys are drawn.
   Selected targets are listed stratum by stratum (A, B, C, D), by key within a stratum.
3. **Inspectors.** Ranked once by ``SHA-256(K ‖ 0x00 ‖ "inspectors" ‖ 0x00 ‖ id)`` into a ring.
   A cursor starts at the first inspector; for each selected target, in order, the walk goes
   round the ring from the cursor and takes the first ``team_size`` inspectors no rule excludes,
   recording every pair it skips with the rule's reason (``conflict_of_interest`` when the target's
   ``owner_id`` is in the inspector's conflicts; ``same_district`` when asked and the districts are
   equal). The cursor moves to the inspector after the last one taken. A target for which a full
   turn finds fewer than ``team_size`` inspectors makes the draw impossible: the error names every
   such target; no rule is ever relaxed.

The record is canonical JSON (keys sorted, no spaces, UTF-8), so the same inputs and seed give
the same bytes whatever the order of the input rows.

References
----------
国办发〔2015〕58号 (双随机、一公开); notes on commit–reveal draws in ``docs/guide/supervision.md``.

Examples
--------
>>> ts = [Target(f"T{i}", f"Shop {i}", "B", "D1", "scale", f"O{i}") for i in range(10)]
>>> ins = [Inspector("I1", "Li", "D2"), Inspector("I2", "Wang", "D3")]
>>> policy = Policy(edition="2026-1", ratios={"B": "0.2"}, team_size=2)
>>> rec = draw(ts, ins, policy, "00" * 16)
>>> rec.strata["B"]
{'eligible': 10, 'drawn': 2}
>>> len(rec.selected), rec.selected[0]["inspectors"] in (["I1", "I2"], ["I2", "I1"])
(2, True)
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any

from jiliang.errors import InputError

__all__ = [
    "ALGORITHM",
    "CREDIT_CLASSES",
    "INSPECTOR_COLUMNS",
    "MIN_SEED_BYTES",
    "TARGET_COLUMNS",
    "DrawImpossibleError",
    "DrawRecord",
    "Inspector",
    "Policy",
    "ReplayResult",
    "Target",
    "canonical_json",
    "digest_inspectors",
    "digest_policy",
    "digest_targets",
    "draw",
    "parse_inspectors_csv",
    "parse_seed",
    "parse_targets_csv",
    "policy_from_record",
    "rank_key",
    "replay",
    "seed_commitment",
    "stratum_size",
]

ALGORITHM = "jiliang-draw/1"
CREDIT_CLASSES = ("A", "B", "C", "D")
MIN_SEED_BYTES = 16
TARGET_COLUMNS = ("id", "name", "credit_class", "district", "category", "owner_id")
INSPECTOR_COLUMNS = ("id", "name", "district", "conflicts")


class DrawImpossibleError(InputError):
    """The exclusion rules leave some targets without a full team; ``targets`` names them."""

    code = "draw_impossible"


@dataclass(frozen=True, slots=True)
class Target:
    """One inspection target (an enterprise or site) with its credit class."""

    id: str
    name: str
    credit_class: str
    district: str = ""
    category: str = ""
    owner_id: str = ""

    def __post_init__(self) -> None:
        _check_id(self.id, "target")
        if self.credit_class not in CREDIT_CLASSES:
            raise InputError(
                f"target {self.id}: unknown credit class {self.credit_class!r} (expected one of A, B, C, D)"
            )

    def as_row(self) -> dict[str, str]:
        return dict(zip(TARGET_COLUMNS, self.as_list(), strict=True))

    def as_list(self) -> list[str]:
        return [self.id, self.name, self.credit_class, self.district, self.category, self.owner_id]


@dataclass(frozen=True, slots=True)
class Inspector:
    """One inspector; ``conflicts`` holds the owner ids he or she may not inspect."""

    id: str
    name: str
    district: str = ""
    conflicts: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        _check_id(self.id, "inspector")

    def as_row(self) -> dict[str, str]:
        return dict(zip(INSPECTOR_COLUMNS, self.as_list(), strict=True))

    def as_list(self) -> list[str]:
        return [self.id, self.name, self.district, ";".join(sorted(self.conflicts))]


@dataclass(frozen=True, slots=True)
class Policy:
    """The draw policy: ratio per credit class (decimal text), team size, district rule, edition."""

    edition: str
    ratios: Mapping[str, str]
    team_size: int = 2
    exclude_same_district: bool = False

    def __post_init__(self) -> None:
        if not self.edition.strip():
            raise InputError("the policy needs an edition")
        clean: dict[str, str] = {}
        for cls, raw in self.ratios.items():
            if cls not in CREDIT_CLASSES:
                raise InputError(f"ratios: unknown credit class {cls!r} (expected one of A, B, C, D)")
            clean[cls] = _ratio_text(cls, raw)
        object.__setattr__(self, "ratios", dict(sorted(clean.items())))
        if isinstance(self.team_size, bool) or not isinstance(self.team_size, int) or self.team_size < 1:
            raise InputError(f"team_size must be a whole number ≥ 1, got {self.team_size!r}")
        if not isinstance(self.exclude_same_district, bool):
            raise InputError("exclude_same_district must be true or false")

    def as_dict(self) -> dict[str, Any]:
        return {
            "edition": self.edition,
            "ratios": dict(self.ratios),
            "team_size": self.team_size,
            "exclude_same_district": self.exclude_same_district,
            "rounding": "ceil",
        }


@dataclass(frozen=True, slots=True)
class DrawRecord:
    """Everything needed to re-run and check a draw; :meth:`to_json` gives its canonical bytes."""

    seed: str
    seed_commitment: str
    public_value: str | None
    policy: Mapping[str, Any]
    inputs_sha256: Mapping[str, str]
    strata: Mapping[str, Mapping[str, int]]
    selected: Sequence[Mapping[str, Any]]
    excluded_pairs: Sequence[Mapping[str, str]]
    algorithm: str = ALGORITHM

    def as_dict(self) -> dict[str, Any]:
        return {
            "algorithm": self.algorithm,
            "seed": self.seed,
            "seed_commitment": self.seed_commitment,
            "public_value": self.public_value,
            "policy": dict(self.policy),
            "inputs_sha256": dict(self.inputs_sha256),
            "strata": {k: dict(v) for k, v in self.strata.items()},
            "selected": [dict(s) for s in self.selected],
            "excluded_pairs": [dict(p) for p in self.excluded_pairs],
        }

    def to_json(self) -> bytes:
        return canonical_json(self.as_dict())


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """Whether a record re-runs to the same bytes; ``problems`` names each difference."""

    matches: bool
    problems: tuple[str, ...]
    rerun: bool


def canonical_json(value: Any) -> bytes:
    """JSON with sorted keys, no insignificant spaces, UTF-8."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _check_id(value: str, what: str) -> None:
    if not isinstance(value, str) or not value.strip() or value != value.strip() or "\x00" in value:
        raise InputError(f"{what} id {value!r} must be non-empty text without surrounding spaces")


def _ratio_text(cls: str, raw: object) -> str:
    if isinstance(raw, bool):
        raise InputError(f"ratio for class {cls} must be a number in [0, 1], got {raw!r}")
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise InputError(f"ratio for class {cls} must be a number in [0, 1], got {raw!r}") from None
    if not value.is_finite() or value < 0 or value > 1:
        raise InputError(f"ratio for class {cls} must be in [0, 1], got {raw!r}")
    return format(value.normalize(), "f")


def parse_seed(seed_hex: str) -> bytes:
    """The seed bytes from hex; at least 128 bits."""
    text = seed_hex.strip().lower()
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise InputError("the seed must be hexadecimal digits") from None
    if len(raw) < MIN_SEED_BYTES:
        raise InputError(f"the seed has {len(raw) * 8} bits; at least {MIN_SEED_BYTES * 8} are required")
    return raw


def seed_commitment(seed_hex: str) -> str:
    """``SHA-256(seed)`` as hex: published before the draw."""
    return hashlib.sha256(parse_seed(seed_hex)).hexdigest()


def _draw_key(seed: bytes, public_value: str | None) -> bytes:
    if public_value is None:
        return seed
    return hashlib.sha256(seed + public_value.encode("utf-8")).digest()


def rank_key(key: bytes, stratum: str, item_id: str) -> bytes:
    """``SHA-256(key ‖ 0x00 ‖ stratum ‖ 0x00 ‖ id)``: the smaller, the earlier drawn."""
    return hashlib.sha256(key + b"\x00" + stratum.encode() + b"\x00" + item_id.encode()).digest()


def _ranked(key: bytes, stratum: str, items: Iterable[Any]) -> list[Any]:
    """``items`` sorted by :func:`rank_key` (the prefix is hashed once and copied)."""
    prefix = hashlib.sha256(key + b"\x00" + stratum.encode() + b"\x00")

    def k(item: Any) -> bytes:
        h = prefix.copy()
        h.update(item.id.encode())
        return h.digest()

    return sorted(items, key=k)


def stratum_size(ratio: str, eligible: int) -> int:
    """``⌈ratio · eligible⌉`` computed exactly on the decimal ratio.

    >>> stratum_size("0.05", 30), stratum_size("0", 30), stratum_size("1", 30), stratum_size("0.1", 30)
    (2, 0, 30, 3)
    """
    return int((Decimal(ratio) * eligible).to_integral_value(rounding=ROUND_CEILING))


def _unique(items: Iterable[Any], what: str) -> list[Any]:
    rows: list[Any] = sorted(items, key=lambda x: x.id)
    for a, b in itertools.pairwise(rows):
        if a.id == b.id:
            raise InputError(f"duplicated {what} id {a.id!r}")
    return rows


def _digest_rows(rows: list[Any]) -> str:
    return hashlib.sha256(canonical_json([r.as_list() for r in rows])).hexdigest()


def digest_targets(targets: Iterable[Target]) -> str:
    """SHA-256 of the canonical JSON of the rows sorted by id, each an array in column order."""
    return _digest_rows(_unique(targets, "target"))


def digest_inspectors(inspectors: Iterable[Inspector]) -> str:
    """As :func:`digest_targets`; conflicts sorted and joined by ``;``."""
    return _digest_rows(_unique(inspectors, "inspector"))


def digest_policy(policy: Policy) -> str:
    return hashlib.sha256(canonical_json(policy.as_dict())).hexdigest()


def _exclusion(target: Target, inspector: Inspector, policy: Policy) -> str | None:
    if target.owner_id and target.owner_id in inspector.conflicts:
        return "conflict_of_interest"
    if policy.exclude_same_district and target.district and target.district == inspector.district:
        return "same_district"
    return None


def _select(
    targets: list[Target], policy: Policy, key: bytes
) -> tuple[dict[str, dict[str, int]], list[Target]]:
    by_class: dict[str, list[Target]] = {}
    for t in targets:
        by_class.setdefault(t.credit_class, []).append(t)
    missing = sorted(set(by_class) - set(policy.ratios))
    if missing:
        raise InputError(f"no ratio for credit class {', '.join(missing)} in policy {policy.edition}")
    strata: dict[str, dict[str, int]] = {}
    chosen: list[Target] = []
    for cls in sorted(policy.ratios):
        members = by_class.get(cls, [])
        n = stratum_size(policy.ratios[cls], len(members))
        ranked = _ranked(key, cls, members)[:n]
        strata[cls] = {"eligible": len(members), "drawn": n}
        chosen.extend(ranked)
    return strata, chosen


def _assign(
    chosen: list[Target], inspectors: list[Inspector], policy: Policy, key: bytes
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    ring = _ranked(key, "inspectors", inspectors)
    if chosen and len(ring) < policy.team_size:
        raise InputError(f"team_size {policy.team_size} exceeds the {len(ring)} inspectors given")
    selected: list[dict[str, Any]] = []
    excluded: list[dict[str, str]] = []
    impossible: list[str] = []
    cursor = 0
    for target in chosen:
        team: list[str] = []
        skipped: list[dict[str, str]] = []
        step = 0
        while len(team) < policy.team_size and step < len(ring):
            inspector = ring[(cursor + step) % len(ring)]
            step += 1
            reason = _exclusion(target, inspector, policy)
            if reason is None:
                team.append(inspector.id)
            else:
                skipped.append({"target": target.id, "inspector": inspector.id, "reason": reason})
        if len(team) < policy.team_size:
            impossible.append(target.id)
            continue
        cursor = (cursor + step) % len(ring)
        selected.append({"target": target.id, "inspectors": team})
        excluded.extend(skipped)
    if impossible:
        shown = ", ".join(impossible[:20]) + (" …" if len(impossible) > 20 else "")
        raise DrawImpossibleError(
            f"no team of {policy.team_size} inspectors without excluded pairs for {len(impossible)} "
            f"target(s): {shown}",
            details={"targets": impossible},
        )
    return selected, excluded


def draw(
    targets: Iterable[Target],
    inspectors: Iterable[Inspector],
    policy: Policy,
    seed_hex: str,
    public_value: str | None = None,
) -> DrawRecord:
    """Draw targets per credit class and assign inspector teams (``jiliang-draw/1``, see module)."""
    seed = parse_seed(seed_hex)
    target_rows = _unique(targets, "target")
    inspector_rows = _unique(inspectors, "inspector")
    key = _draw_key(seed, public_value)
    strata, chosen = _select(target_rows, policy, key)
    selected, excluded = _assign(chosen, inspector_rows, policy, key)
    return DrawRecord(
        seed=seed.hex(),
        seed_commitment=hashlib.sha256(seed).hexdigest(),
        public_value=public_value,
        policy=policy.as_dict(),
        inputs_sha256={
            "targets": _digest_rows(target_rows),
            "inspectors": _digest_rows(inspector_rows),
            "policy": digest_policy(policy),
        },
        strata=strata,
        selected=selected,
        excluded_pairs=excluded,
    )


def policy_from_record(record: Mapping[str, Any]) -> Policy:
    raw = record.get("policy")
    if not isinstance(raw, Mapping):
        raise InputError("the record has no policy")
    return Policy(
        edition=str(raw.get("edition", "")),
        ratios=dict(raw.get("ratios") or {}),
        team_size=raw.get("team_size", 0),
        exclude_same_district=raw.get("exclude_same_district", False),
    )


def replay(
    record: Mapping[str, Any],
    targets: Iterable[Target] | None = None,
    inspectors: Iterable[Inspector] | None = None,
) -> ReplayResult:
    """Check a record: commitment, policy digest, stratum sizes; with both lists, re-run it.

    Each problem names what differs (``targets digest differs``, ``selected differs`` …).
    """
    problems: list[str] = []
    if record.get("algorithm") != ALGORITHM:
        return ReplayResult(False, (f"unknown algorithm {record.get('algorithm')!r}",), False)
    seed_hex = str(record.get("seed", ""))
    if hashlib.sha256(parse_seed(seed_hex)).hexdigest() != record.get("seed_commitment"):
        problems.append("seed_commitment does not match SHA-256(seed)")
    policy = policy_from_record(record)
    digests = dict(record.get("inputs_sha256") or {})
    if digests.get("policy") != digest_policy(policy):
        problems.append("policy digest differs")
    for cls, counts in dict(record.get("strata") or {}).items():
        ratio = policy.ratios.get(cls)
        if ratio is None or stratum_size(ratio, int(counts.get("eligible", 0))) != counts.get("drawn"):
            problems.append(f"stratum {cls}: drawn count is not ⌈ratio · eligible⌉")
    if targets is None or inspectors is None:
        return ReplayResult(not problems, tuple(problems), False)
    t_rows, i_rows = list(targets), list(inspectors)
    if digests.get("targets") != digest_targets(t_rows):
        problems.append("targets digest differs")
    if digests.get("inspectors") != digest_inspectors(i_rows):
        problems.append("inspectors digest differs")
    public = record.get("public_value")
    again = draw(t_rows, i_rows, policy, seed_hex, None if public is None else str(public)).as_dict()
    for name in ("strata", "selected", "excluded_pairs"):
        if canonical_json(again[name]) != canonical_json(record.get(name)):
            problems.append(f"{name} differs")
    return ReplayResult(not problems, tuple(problems), True)


def _read_csv(text: str, columns: Sequence[str], what: str) -> list[list[str]]:
    """Rows of ``columns`` (in that order, stripped) from CSV text with a header naming them."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in next(reader, [])]
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError(f"{what} CSV lacks column(s) {', '.join(missing)}")
    pos = [header.index(c) for c in columns]
    width = len(header)
    rows = []
    for n, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) > width:
            raise InputError(f"{what} CSV line {n}: more fields than columns")
        row += [""] * (width - len(row))
        rows.append([row[p].strip() for p in pos])
    return rows


def parse_targets_csv(text: str) -> list[Target]:
    """Targets from CSV text with columns ``id, name, credit_class, district, category, owner_id``."""
    return [Target(*row) for row in _read_csv(text, TARGET_COLUMNS, "targets")]


def parse_inspectors_csv(text: str) -> list[Inspector]:
    """Inspectors from CSV text with columns ``id, name, district, conflicts`` (owner ids by ``;``)."""
    out = []
    for iid, name, district, raw in _read_csv(text, INSPECTOR_COLUMNS, "inspectors"):
        conflicts = frozenset(c.strip() for c in raw.split(";") if c.strip())
        out.append(Inspector(iid, name, district, conflicts))
    return out
