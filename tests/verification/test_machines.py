"""The state machines as data: well-formed, their docstring examples run, refusals say why."""

from __future__ import annotations

import doctest

import pytest

from jiliang.errors import ConflictError, PermissionDeniedError
from jiliang.verification import BOOKING, WORK_ORDER, Machine, Transition, machines, results


@pytest.mark.parametrize("module", [machines, results])
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def test_every_state_is_reachable_and_terminal_states_have_no_way_out():
    for m in (BOOKING, WORK_ORDER):
        reached = {m.initial} | {t.target for t in m.transitions}
        assert reached == set(m.states), m.name
    for terminal in ("completed", "cancelled"):
        assert BOOKING.actions(terminal, {"owner", "lab", "regulator", "system"}) == ()
    assert WORK_ORDER.actions("done", {"regulator", "owner", "assignee"}) == ()


def test_wrong_state_is_a_conflict_naming_the_allowed_states():
    with pytest.raises(ConflictError, match="allowed from: requested") as err:
        BOOKING.step("scheduled", "accept", "lab")
    assert err.value.code == "transition_not_allowed" and err.value.status == 409


def test_wrong_party_is_forbidden():
    with pytest.raises(PermissionDeniedError, match="only the lab"):
        BOOKING.step("requested", "accept", "owner")


def test_a_machine_naming_an_unknown_state_is_refused():
    with pytest.raises(ValueError, match="unknown state 'lost'"):
        Machine("x", "a", ("a",), (Transition("go", ("a",), "lost", ("owner",)),))
