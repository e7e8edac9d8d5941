"""What one reconcile decided, and the kstatus-style conditions that follow from it. Shared by every kind."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class State(StrEnum):
    READY = "Ready"
    PROGRESSING = "Progressing"  # not there yet, retrying will get there (or time may cure it)
    STALLED = "Stalled"  # retrying cannot help until someone changes something


@dataclass(frozen=True)
class Event:
    type: str  # Normal | Warning
    reason: str
    message: str


@dataclass
class Outcome:
    state: State
    reason: str
    message: str
    status: dict[str, Any] = field(default_factory=dict)  # kind-specific status fields, camelCase
    events: list[Event] = field(default_factory=list)
    retry_after: float | None = None
    # Kind-specific conditions besides the three kstatus ones: (type, is true, reason, message).
    extra_conditions: list[tuple[str, bool, str, str]] = field(default_factory=list)
    # Reported from what AWS holds now (the kind's `report`), rather than a step failing before it:
    # the status it makes reflects every observation the run was handed.
    observed: bool = False


@dataclass(frozen=True)
class ObjectRef:
    namespace: str
    name: str
    uid: str
    generation: int


@dataclass(frozen=True)
class ObjectMeta:
    """What a run may need of the object's metadata (labels and annotations for an approval policy; who
    last applied its approval, from managedFields)."""

    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    approval_applied_by: str | None = None  # the field manager that last set spec.approvalStatus
    age_seconds: float | None = None  # since its creationTimestamp, when the run began


class Stalled(Exception):
    """Bad input or a request the operator config refuses: no AWS call is made, nothing is retried."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class Retry(Exception):
    """Not done yet for a reason time may cure (a group not Ready, AWS throttling or denying access)."""

    def __init__(self, reason: str, message: str, delay: float | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.delay = delay


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


def parse_spec(model: type[M], raw: dict[str, Any]) -> M:
    """Validate a spec; the first problem becomes a Stalled reason that names the field."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(p) for p in first["loc"]]
        path = "spec" + "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in loc)
        leaf = next((p for p in reversed(loc) if not p.isdigit()), "spec")
        more = f" (and {len(exc.errors()) - 1} more problems)" if len(exc.errors()) > 1 else ""
        raise Stalled(f"Invalid{_pascal(leaf)}", f"{path}: {first['msg']}{more}") from exc


def retry_delay(attempt: int, base: float = 5.0, cap: float = 300.0) -> float:
    return float(min(cap, base * (2 ** min(attempt, 10))))


def conditions(
    outcome: Outcome, generation: int, previous: list[dict[str, Any]] | None, now: str | None = None
) -> list[dict[str, Any]]:
    """Ready, Reconciling and Stalled for an outcome; lastTransitionTime moves only when a status flips."""
    now = now or now_iso()
    before = {c.get("type"): c for c in previous or []}
    ready = outcome.state is State.READY
    wanted = [
        ("Ready", ready, outcome.reason, outcome.message),
        (
            "Reconciling",
            outcome.state is State.PROGRESSING,
            outcome.reason if outcome.state is State.PROGRESSING else "ReconcileComplete",
            outcome.message if outcome.state is State.PROGRESSING else "",
        ),
        (
            "Stalled",
            outcome.state is State.STALLED,
            outcome.reason if outcome.state is State.STALLED else "NotStalled",
            outcome.message if outcome.state is State.STALLED else "",
        ),
    ]
    wanted.extend(outcome.extra_conditions)
    result = []
    for ctype, is_true, reason, message in wanted:
        status = "True" if is_true else "False"
        old = before.get(ctype)
        changed = old is None or old.get("status") != status
        result.append(
            {
                "type": ctype,
                "status": status,
                "reason": reason,
                "message": message,
                "observedGeneration": generation,
                "lastTransitionTime": now if changed or old is None else old.get("lastTransitionTime", now),
            }
        )
    return result


def status_patch(
    outcome: Outcome,
    generation: int,
    previous: Mapping[str, Any] | None,
    owned_fields: Iterable[str] = (),
) -> dict[str, Any]:
    """The whole status write of one reconcile, as a merge patch: the kind's fields as the run ended with
    them (a field the run no longer holds, say a kmsKeyId the spec dropped, is removed with null),
    observedGeneration and the conditions."""
    previous = previous or {}
    patch: dict[str, Any] = dict(outcome.status)
    for key in owned_fields:
        if key not in patch and previous.get(key) is not None:
            patch[key] = None
    patch["observedGeneration"] = generation
    patch["conditions"] = conditions(outcome, generation, previous.get("conditions"))
    return patch
