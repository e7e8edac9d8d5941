"""Which Kubernetes object an AWS call is made for, carried in the call's User-Agent.

CloudTrail records the User-Agent of every call, so a person reading it sees which object made a call
(`k8s-object/<namespace>/<name>/<uid>`); the embedded AWS counts calls per object from the same token, so
a test can count the calls of its own object while the operator works on others.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

TOKEN_PREFIX = "k8s-object/"

_acting_for: ContextVar[str | None] = ContextVar("registry_operator_acting_for", default=None)


def token(namespace: str, name: str, uid: str) -> str:
    return f"{TOKEN_PREFIX}{namespace}/{name}/{uid}"


@contextmanager
def acting_for(namespace: str, name: str, uid: str) -> Iterator[None]:
    """Every AWS call made inside (on this thread or task) names this object."""
    reset = _acting_for.set(token(namespace, name, uid))
    try:
        yield
    finally:
        _acting_for.reset(reset)


def _add_token(request: Any, **_: Any) -> None:
    current = _acting_for.get()
    if current:
        # The User-Agent is not part of the SigV4 signature (botocore.auth.SIGNED_HEADERS_BLACKLIST),
        # so adding to it after the request is built leaves the signature valid.
        agent = request.headers.get("User-Agent")
        if agent is None:
            request.headers["User-Agent"] = current
        else:  # botocore's headers append on assignment; replace the one there is
            request.headers.replace_header("User-Agent", f"{agent} {current}")


def install(session: Any) -> None:
    """Attribute every call of every client made from this botocore session."""
    session.register("request-created", _add_token, unique_id="registry-operator-attribution")
