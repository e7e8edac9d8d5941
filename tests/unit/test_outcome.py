"""Conditions follow kstatus: Ready always written, Reconciling while in flight, Stalled when stuck."""

from __future__ import annotations

from registry_operator.reconcile.outcome import Outcome, State, conditions, status_patch


def _by_type(conds: list[dict]) -> dict[str, dict]:
    return {c["type"]: c for c in conds}


def _statuses(by_type: dict[str, dict]) -> tuple[str, str, str]:
    """The status of Ready, Reconciling and Stalled, in that order."""
    return by_type["Ready"]["status"], by_type["Reconciling"]["status"], by_type["Stalled"]["status"]


def test_ready_outcome() -> None:
    c = _by_type(conditions(Outcome(State.READY, "Registered", "ok"), 3, None, now="T1"))
    assert _statuses(c) == ("True", "False", "False")
    assert all(x["observedGeneration"] == 3 for x in c.values())


def test_progressing_and_stalled() -> None:
    p = _by_type(conditions(Outcome(State.PROGRESSING, "Throttled", "slow down"), 1, None, now="T1"))
    assert _statuses(p) == ("False", "True", "False")
    assert p["Ready"]["reason"] == p["Reconciling"]["reason"] == "Throttled"
    s = _by_type(conditions(Outcome(State.STALLED, "NotPermitted", "no"), 1, None, now="T1"))
    assert _statuses(s) == ("False", "False", "True")
    assert s["Stalled"]["reason"] == "NotPermitted"


def test_transition_time_moves_only_when_status_flips() -> None:
    first = conditions(Outcome(State.PROGRESSING, "WaitingForGroup", ""), 1, None, now="T1")
    second = _by_type(conditions(Outcome(State.READY, "Registered", ""), 1, first, now="T2"))
    assert second["Ready"]["lastTransitionTime"] == "T2"
    assert second["Stalled"]["lastTransitionTime"] == "T1"  # False before and after


def test_status_patch_carries_generation_and_fields() -> None:
    patch = status_patch(Outcome(State.READY, "r", "m", status={"modelPackageArn": "a"}), 7, None)
    assert patch["observedGeneration"] == 7 and patch["modelPackageArn"] == "a"
    assert len(patch["conditions"]) == 3
