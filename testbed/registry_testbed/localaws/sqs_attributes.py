"""SQS SetQueueAttributes as AWS answers it, where moto differs.

SetQueueAttributes sets the attributes it is given and leaves the others alone (SQS API reference,
SetQueueAttributes: "Sets the value of one or more queue attributes"). moto 5.2.5 clears the queue's
`Policy` whenever a call does not restate it (`Queue._set_attributes` ends with `self.policy =
attributes.get("Policy")`), so setting a visibility timeout on a queue EventBridge delivers to would
silently stop the deliveries: harsher than AWS, and a trap for every test that wires a queue.
"""

from __future__ import annotations

from typing import Any

from moto.sqs.models import Queue

_moto_set_attributes = Queue._set_attributes


def _set_attributes(self: Queue, attributes: dict[str, Any], now: float | None = None) -> None:
    kept = getattr(self, "policy", None)
    _moto_set_attributes(self, attributes, now)
    if "Policy" not in attributes:
        self.policy = kept


def install() -> None:
    Queue._set_attributes = _set_attributes  # type: ignore[method-assign]
