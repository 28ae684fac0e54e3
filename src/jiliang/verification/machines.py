"""The life of a booking and of a work order, written once as data.

A :class:`Machine` is a tuple of :class:`Transition` rows: the action, the states it starts from,
the state it ends in and the parties who may take it. Services ask :meth:`Machine.step` for the next
state; the console asks :meth:`Machine.actions` which buttons to show. Nothing else decides.

Parties are relations to the object, not bare roles: ``owner`` (the enterprise that owns the
instruments), ``lab`` (the verifier the booking is addressed to), ``regulator``, ``assignee``
(whoever the work order is assigned to) and ``system`` (a side effect of another service).

Examples
--------
>>> BOOKING.step("requested", "accept", "lab")
'accepted'
>>> BOOKING.actions("requested", {"lab"})
('accept', 'decline')
>>> BOOKING.step("completed", "cancel", "owner")
Traceback (most recent call last):
...
jiliang.errors.ConflictError: cannot cancel a booking that is completed (allowed from: requested, accepted, scheduled)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from jiliang.errors import ConflictError, PermissionDeniedError

__all__ = ["BOOKING", "WORK_ORDER", "Machine", "Transition"]


@dataclass(frozen=True, slots=True)
class Transition:
    """One allowed move: ``action`` takes the object from any of ``sources`` to ``target``."""

    action: str
    sources: tuple[str, ...]
    target: str
    parties: tuple[str, ...]
    needs_reason: bool = False


@dataclass(frozen=True, slots=True)
class Machine:
    """States and transitions of one kind of object (``name`` is used in messages)."""

    name: str
    initial: str
    states: tuple[str, ...]
    transitions: tuple[Transition, ...]

    def __post_init__(self) -> None:
        known = set(self.states)
        for t in self.transitions:
            bad = [s for s in (*t.sources, t.target) if s not in known]
            if bad:
                raise ValueError(f"{self.name}: transition {t.action} names unknown state {bad[0]!r}")

    def transition(self, action: str) -> Transition:
        """The first transition named ``action`` (an action may have one row per set of parties)."""
        return self._named(action)[0]

    def _named(self, action: str) -> list[Transition]:
        found = [t for t in self.transitions if t.action == action]
        if not found:
            raise ConflictError(f"unknown {self.name} action {action!r}", code="unknown_action")
        return found

    def step(self, state: str, action: str, party: str | Iterable[str]) -> str:
        """The state after ``action`` from ``state`` by ``party``; 409 or 403 when not allowed."""
        parties = {party} if isinstance(party, str) else set(party)
        named = self._named(action)
        here = [t for t in named if state in t.sources]
        if not here:
            sources = list(dict.fromkeys(s for t in named for s in t.sources))
            raise ConflictError(
                f"cannot {action} a {self.name} that is {state} (allowed from: {', '.join(sources)})",
                code="transition_not_allowed",
                details={"state": state, "action": action},
            )
        mine = [t for t in here if parties & set(t.parties)]
        if not mine:
            who = list(dict.fromkeys(p for t in here for p in t.parties))
            raise PermissionDeniedError(
                f"only the {' or the '.join(who)} may {action} a {self.name} that is {state}",
                code="transition_forbidden",
            )
        return mine[0].target

    def actions(self, state: str, parties: Iterable[str]) -> tuple[str, ...]:
        """The actions ``parties`` may take from ``state`` (the buttons a page shows)."""
        mine = set(parties)
        found = (t.action for t in self.transitions if state in t.sources and mine & set(t.parties))
        return tuple(dict.fromkeys(found))


BOOKING = Machine(
    name="booking",
    initial="requested",
    states=("requested", "accepted", "declined", "scheduled", "in_progress", "completed", "cancelled"),
    transitions=(
        Transition("accept", ("requested",), "accepted", ("lab",)),
        Transition("decline", ("requested",), "declined", ("lab",), needs_reason=True),
        Transition("schedule", ("accepted", "scheduled"), "scheduled", ("lab",)),
        Transition("start", ("accepted", "scheduled"), "in_progress", ("lab", "system")),
        Transition("complete", ("accepted", "scheduled", "in_progress"), "completed", ("system",)),
        Transition(
            "cancel", ("requested", "accepted", "scheduled"), "cancelled", ("owner",), needs_reason=True
        ),
        # the verifier declines a request; once it has accepted, it cancels (with a reason)
        Transition("cancel", ("accepted", "scheduled"), "cancelled", ("lab",), needs_reason=True),
        Transition("reassign", ("requested", "accepted", "declined"), "requested", ("regulator",)),
    ),
)

WORK_ORDER = Machine(
    name="work order",
    initial="open",
    states=("open", "assigned", "in_progress", "done", "cancelled"),
    transitions=(
        Transition("assign", ("open", "assigned"), "assigned", ("regulator", "owner")),
        Transition("start", ("assigned",), "in_progress", ("assignee", "owner", "regulator")),
        Transition("finish", ("in_progress",), "done", ("assignee", "owner", "regulator")),
        Transition("cancel", ("open", "assigned"), "cancelled", ("regulator",), needs_reason=True),
    ),
)
