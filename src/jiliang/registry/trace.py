"""Traceability chains and their breaks, from records given as plain data (pure: no I/O, no clock).

A result is metrologically traceable when an unbroken chain of calibrations links it to a national
primary standard (计量基准), each link with a stated uncertainty and a certificate valid on the date
the standard was used (JJF 1001-2011 §4.14, 计量溯源性; VIM 3 2.41). A link breaks when

* ``link_missing``: no calibration of the standard is known before the date of use, or the
  calibrating standard is unknown;
* ``certificate_expired``: the calibration certificate (or the standard's approval certificate,
  计量标准考核证书) had expired on the date of use;
* ``scope_not_covered``: the higher standard does not cover the quantity or the range;
* ``uncertainty_ratio``: the ratio of the lower item's uncertainty (or tolerance) to the higher
  standard's uncertainty is below the minimum (default 4:1, the common test uncertainty ratio;
  a setting, ``uncertainty_ratio_min``).

The chain is walked upward: the date of use of a higher standard is the date it calibrated the
lower one. Every item is a node; every calibration an edge from the lower item to the higher one.

Examples
--------
>>> from datetime import date
>>> top = StandardNode(1, "NIM-M", "national", "mass", 0.0, 1000.0, 0.0001)
>>> ref = StandardNode(2, "E2-1", "public", "mass", 0.0, 100.0, 0.002)
>>> cal = CalibrationLink(2, 1, date(2026, 1, 5), date(2027, 1, 4), "NIM-2026-1")
>>> t = trace_standard(2, {1: top, 2: ref}, {2: [cal]}, date(2026, 6, 1), ratio_min=4.0)
>>> t.traceable, [e.parent for e in t.edges]
(True, ['standard:1'])
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from jiliang.errors import InputError

__all__ = [
    "BREAK_REASONS",
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

BREAK_REASONS = ("link_missing", "certificate_expired", "scope_not_covered", "uncertainty_ratio")
NATIONAL = "national"
_MAX_DEPTH = 20


class TraceError(InputError):
    """The records handed to the trace are inconsistent (unknown ids, bad ratio minimum)."""


@dataclass(frozen=True, slots=True)
class StandardNode:
    """A measurement standard as the trace needs it.

    ``uncertainty`` is the relative expanded uncertainty in percent (None: not stated).
    """

    id: int
    code: str
    level: str
    quantity: str
    range_min: float | None = None
    range_max: float | None = None
    uncertainty: float | None = None
    approval_valid_until: date | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if self.uncertainty is not None and not (math.isfinite(self.uncertainty) and self.uncertainty > 0):
            raise TraceError(f"standard {self.code}: uncertainty must be > 0, got {self.uncertainty!r}")
        if self.range_min is not None and self.range_max is not None and self.range_min > self.range_max:
            raise TraceError(f"standard {self.code}: range {self.range_min}..{self.range_max} is reversed")


@dataclass(frozen=True, slots=True)
class CalibrationLink:
    """Standard ``standard_id`` calibrated by ``by_standard_id`` (None: the calibrator is unknown)."""

    standard_id: int
    by_standard_id: int | None
    calibrated_on: date
    valid_until: date
    certificate_no: str
    uncertainty: float | None = None

    def __post_init__(self) -> None:
        if self.valid_until < self.calibrated_on:
            raise TraceError(
                f"calibration {self.certificate_no}: valid until {self.valid_until} before {self.calibrated_on}"
            )


@dataclass(frozen=True, slots=True)
class InstrumentNode:
    """The instrument of a record: its quantity, range and tolerance (relative MPE in percent)."""

    id: int
    label: str
    quantity: str
    tolerance: float | None = None
    range_min: float | None = None
    range_max: float | None = None


@dataclass(frozen=True, slots=True)
class Node:
    key: str  # "instrument:12", "standard:3"
    label: str
    level: str  # "instrument" or a standard level


@dataclass(frozen=True, slots=True)
class Edge:
    """The lower item ``child`` was calibrated by ``parent`` on ``on``; ``ratio`` = u_child/u_parent."""

    child: str
    parent: str | None
    on: date | None
    certificate_no: str | None
    ratio: float | None
    broken: str | None = None


@dataclass(frozen=True, slots=True)
class Break:
    node: str
    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class Traceability:
    """The chain as a graph: nodes, edges (lower → higher), breaks; ``traceable`` when none broke."""

    root: str
    on: date
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    breaks: tuple[Break, ...] = field(default=())

    @property
    def traceable(self) -> bool:
        return not self.breaks

    def as_dict(self) -> dict[str, object]:
        return {
            "root": self.root,
            "on": self.on.isoformat(),
            "traceable": self.traceable,
            "nodes": [{"key": n.key, "label": n.label, "level": n.level} for n in self.nodes],
            "edges": [
                {
                    "child": e.child,
                    "parent": e.parent,
                    "on": e.on.isoformat() if e.on else None,
                    "certificate_no": e.certificate_no,
                    "ratio": None if e.ratio is None else round(e.ratio, 3),
                    "broken": e.broken,
                }
                for e in self.edges
            ],
            "breaks": [{"node": b.node, "reason": b.reason, "message": b.message} for b in self.breaks],
        }


def _covers(parent: StandardNode, quantity: str, lo: float | None, hi: float | None) -> str | None:
    if parent.quantity != quantity:
        return f"{parent.code} measures {parent.quantity}, not {quantity}"
    if lo is not None and parent.range_min is not None and lo < parent.range_min:
        return f"{parent.code} range starts at {parent.range_min}, needed {lo}"
    if hi is not None and parent.range_max is not None and hi > parent.range_max:
        return f"{parent.code} range ends at {parent.range_max}, needed {hi}"
    return None


class _Walk:
    def __init__(
        self,
        standards: Mapping[int, StandardNode],
        calibrations: Mapping[int, Sequence[CalibrationLink]],
        ratio_min: float,
    ) -> None:
        if not (math.isfinite(ratio_min) and ratio_min > 0):
            raise TraceError(f"uncertainty ratio minimum must be > 0, got {ratio_min!r}")
        self.standards = standards
        self.calibrations = calibrations
        self.ratio_min = ratio_min
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.breaks: list[Break] = []

    def node(self, std: StandardNode) -> str:
        key = f"standard:{std.id}"
        self.nodes.setdefault(key, Node(key, std.code + (f" {std.name}" if std.name else ""), std.level))
        return key

    def brk(self, node: str, reason: str, message: str) -> str:
        self.breaks.append(Break(node, reason, message))
        return reason

    def link(
        self,
        child: str,
        child_u: float | None,
        quantity: str,
        lo: float | None,
        hi: float | None,
        parent_id: int,
        on: date,
        certificate_no: str | None,
        seen: frozenset[int],
        depth: int,
    ) -> None:
        """Edge ``child`` → standard ``parent_id`` used on ``on``; then continue above the parent."""
        parent = self.standards.get(parent_id)
        if parent is None:
            raise TraceError(f"standard {parent_id} is not among the records given")
        pkey = self.node(parent)
        broken: str | None = None
        ratio: float | None = None
        scope = _covers(parent, quantity, lo, hi)
        if scope:
            broken = self.brk(child, "scope_not_covered", scope)
        if child_u is not None and parent.uncertainty is not None:
            ratio = child_u / parent.uncertainty
            if ratio < self.ratio_min and broken is None:
                broken = self.brk(
                    child,
                    "uncertainty_ratio",
                    f"ratio {ratio:.2f}:1 to {parent.code} is below {self.ratio_min:g}:1",
                )
        if parent.approval_valid_until is not None and parent.approval_valid_until < on and broken is None:
            broken = self.brk(
                pkey,
                "certificate_expired",
                f"approval of {parent.code} expired {parent.approval_valid_until}, used {on}",
            )
        self.edges.append(Edge(child, pkey, on, certificate_no, ratio, broken))
        self.up(parent, on, seen, depth + 1)

    def up(self, std: StandardNode, on: date, seen: frozenset[int], depth: int) -> None:
        """Continue the chain above ``std``, which was used on ``on``."""
        key = self.node(std)
        if std.level == NATIONAL:
            return
        if std.id in seen or depth > _MAX_DEPTH:
            self.brk(key, "link_missing", f"{std.code}: the chain loops back on itself")
            self.edges.append(Edge(key, None, None, None, None, "link_missing"))
            return
        history = [c for c in self.calibrations.get(std.id, ()) if c.calibrated_on <= on]
        if not history:
            self.brk(key, "link_missing", f"{std.code}: no calibration before {on}")
            self.edges.append(Edge(key, None, None, None, None, "link_missing"))
            return
        cal = max(history, key=lambda c: (c.calibrated_on, c.certificate_no))
        if cal.valid_until < on:
            self.brk(
                key,
                "certificate_expired",
                f"{std.code}: certificate {cal.certificate_no} expired {cal.valid_until}, used {on}",
            )
        if cal.by_standard_id is None or cal.by_standard_id not in self.standards:
            self.brk(key, "link_missing", f"{std.code}: calibrated by an unknown standard")
            self.edges.append(Edge(key, None, cal.calibrated_on, cal.certificate_no, None, "link_missing"))
            return
        before = len(self.edges)
        self.link(
            key,
            cal.uncertainty if cal.uncertainty is not None else std.uncertainty,
            std.quantity,
            std.range_min,
            std.range_max,
            cal.by_standard_id,
            cal.calibrated_on,
            cal.certificate_no,
            seen | {std.id},
            depth,
        )
        if cal.valid_until < on:  # mark the edge that carried the expired certificate
            e = self.edges[before]
            self.edges[before] = Edge(
                e.child, e.parent, e.on, e.certificate_no, e.ratio, "certificate_expired"
            )

    def result(self, root: str, on: date) -> Traceability:
        return Traceability(root, on, tuple(self.nodes.values()), tuple(self.edges), tuple(self.breaks))


def trace_standard(
    standard_id: int,
    standards: Mapping[int, StandardNode],
    calibrations: Mapping[int, Sequence[CalibrationLink]],
    on: date,
    *,
    ratio_min: float = 4.0,
) -> Traceability:
    """The chain above a standard used on ``on``.

    Parameters
    ----------
    standard_id : the standard to trace.
    standards : every standard that may appear in the chain, by id.
    calibrations : each standard's calibrations (any order), by the calibrated standard's id.
    on : the date of use (the chain must be valid on that date).
    ratio_min : the minimum uncertainty ratio between a standard and the one above it.
    """
    walk = _Walk(standards, calibrations, ratio_min)
    std = standards.get(standard_id)
    if std is None:
        raise TraceError(f"standard {standard_id} is not among the records given")
    walk.up(std, on, frozenset(), 0)
    return walk.result(f"standard:{standard_id}", on)


def trace_record(
    instrument: InstrumentNode,
    used: Sequence[int],
    on: date,
    standards: Mapping[int, StandardNode],
    calibrations: Mapping[int, Sequence[CalibrationLink]],
    *,
    certificate_no: str | None = None,
    ratio_min: float = 4.0,
) -> Traceability:
    """The chains above a verification of ``instrument`` on ``on`` with the standards ``used``.

    With no standard used the record itself is a missing link.
    """
    walk = _Walk(standards, calibrations, ratio_min)
    key = f"instrument:{instrument.id}"
    walk.nodes[key] = Node(key, instrument.label, "instrument")
    if not used:
        walk.brk(key, "link_missing", f"{instrument.label}: no standard recorded for the verification")
        walk.edges.append(Edge(key, None, on, certificate_no, None, "link_missing"))
    for sid in used:
        walk.link(
            key,
            instrument.tolerance,
            instrument.quantity,
            instrument.range_min,
            instrument.range_max,
            sid,
            on,
            certificate_no,
            frozenset(),
            0,
        )
    return walk.result(key, on)
