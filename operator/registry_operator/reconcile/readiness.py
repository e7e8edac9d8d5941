"""The one definition of "Ready for its generation", read from an object as the API server holds it.

Every condition the operator writes carries the generation it describes (kstatus; `kubectl wait` reads it
the same way), so the Ready condition's own `observedGeneration` is what is compared: Ready for an older
spec says nothing about the current one. The views, the metrics, the dispatch's "does this object need a
run" and each kind's notion of settled all ask here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def condition(body: Mapping[str, Any], ctype: str) -> Mapping[str, Any] | None:
    for c in (body.get("status") or {}).get("conditions") or []:
        if c.get("type") == ctype:
            return c  # type: ignore[no-any-return]
    return None


def generation(body: Mapping[str, Any]) -> int:
    return int((body.get("metadata") or {}).get("generation") or 0)


def current(body: Mapping[str, Any], ctype: str) -> Mapping[str, Any] | None:
    """The condition when it describes the object's current generation; None when missing or older."""
    found = condition(body, ctype)
    if found is None or found.get("observedGeneration") not in (None, generation(body)):
        return None
    return found


def ready_state(body: Mapping[str, Any]) -> str:
    """`True` or `False` for the current generation; `Unknown` when not written yet or about an older one."""
    found = current(body, "Ready")
    status = str(found.get("status")) if found is not None else "Unknown"
    return status if status in ("True", "False") else "Unknown"


def ready_for_generation(body: Mapping[str, Any]) -> bool:
    return ready_state(body) == "True"


def ready_reason(body: Mapping[str, Any]) -> str | None:
    """The Ready condition's reason for the current generation."""
    found = current(body, "Ready")
    return str(found.get("reason")) if found is not None and found.get("reason") else None


def stalled_reason(body: Mapping[str, Any]) -> str | None:
    """Why the object is Stalled for its current generation; None when it is not."""
    found = current(body, "Stalled")
    if found is None or found.get("status") != "True":
        return None
    return str(found.get("reason") or "")
