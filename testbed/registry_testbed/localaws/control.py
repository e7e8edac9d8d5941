"""The `/_localaws/` control endpoints: health, call counters, fault rules, settings and a full reset.

GET    /_localaws/health        -> {"status": "ok"}
GET    /_localaws/calls         -> {"calls": {"svc:Op": n, ...}, "faults": {...}, "throttled": {...}}
                                   ("throttled": refused by a rate limit; "faults": injected)
GET    /_localaws/calls?object=ns/name -> {"calls": {...}} made for that object ("ns/" for a namespace)
POST   /_localaws/calls/reset   -> zero the counters
GET    /_localaws/connections   -> {"accepted": n, "open": m}: TCP connections accepted since start, open now
GET    /_localaws/faults        -> {"rules": [...]} (each rule also reports how many faults it injected)
PUT    /_localaws/faults        <- {"rules": [{"operation", "rate", "error", "latencyMs", "count"}], "seed"?}
DELETE /_localaws/faults        -> no rules
GET    /_localaws/settings      -> {"packageCompletionSeconds", "groupDeletionSeconds",
                                    "failPackagesInGroups", "rateLimits"}
PUT    /_localaws/settings      <- any of those: how long packages stay Pending/InProgress, how long a
                                   deleted group stays Deleting, which groups' packages end Failed, and
                                   per-account request rate limits, {"svc:Op" or pattern:
                                   {"ratePerSecond": r, "burst": b}} (ratelimits.py; replaces the limits
                                   before, every bucket starts full); an unknown or invalid one: 400
GET    /_localaws/events        -> {"deliveries": [{"eventId", "ruleArn", "targetArn", "delivered",
                                   "reason"}]}: the last 1,000 deliveries of SageMaker's events to rule
                                   targets, with why a failed one failed (e.g. the queue policy)
POST   /_localaws/reset         -> wipe all AWS state (moto and the registry), counters, fault rules, and
                                   put the settings back to those the server started with
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from .errors import SettingsError
from .faults import FaultRule, RuleError
from .responses import StartResponse, json_response

if TYPE_CHECKING:
    from .app import LocalAWSApp

_JSON = "application/json"


class _BadRequest(Exception):
    """A request the control endpoints refuse with 400 and this message."""


def _json_body(environ: dict[str, Any]) -> Any:
    """The request's JSON body, {} when it has none."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        return json.loads(environ["wsgi.input"].read(length) or b"{}") if length > 0 else {}
    except ValueError as exc:
        raise _BadRequest(f"body is not JSON: {exc}") from exc


class ControlEndpoints:
    def __init__(self, app: LocalAWSApp) -> None:
        self._app = app
        self._routes: dict[tuple[str, str], Callable[[dict[str, Any]], tuple[int, Any]]] = {
            ("GET", "/_localaws/health"): lambda _: (200, {"status": "ok"}),
            ("GET", "/_localaws/calls"): self._calls,
            ("POST", "/_localaws/calls/reset"): self._reset_calls,
            ("GET", "/_localaws/connections"): lambda _: (200, app.connections.snapshot()),
            ("GET", "/_localaws/faults"): lambda _: (200, {"rules": app.faults.rules()}),
            ("PUT", "/_localaws/faults"): self._put_faults,
            ("DELETE", "/_localaws/faults"): self._clear_faults,
            ("GET", "/_localaws/settings"): lambda _: (200, app.settings()),
            ("PUT", "/_localaws/settings"): self._put_settings,
            ("GET", "/_localaws/events"): lambda _: (200, {"deliveries": app.service_events.outcomes()}),
            ("POST", "/_localaws/reset"): self._reset,
        }

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = (environ.get("PATH_INFO") or "").rstrip("/")
        method = environ.get("REQUEST_METHOD", "GET").upper()
        route = self._routes.get((method, path))
        if route is None:
            known = any(p == path for _, p in self._routes)
            status = 405 if known else 404
            return json_response(
                start_response, status, {"error": f"no control endpoint {method} {path}"}, _JSON
            )
        try:
            status, payload = route(environ)
        except _BadRequest as exc:
            status, payload = 400, {"error": str(exc)}
        return json_response(start_response, status, payload, _JSON)

    def _calls(self, environ: dict[str, Any]) -> tuple[int, Any]:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        obj = query.get("object", [None])[0]
        return 200, self._app.calls.snapshot(obj)

    def _reset_calls(self, _: dict[str, Any]) -> tuple[int, Any]:
        self._app.calls.reset()
        return 200, self._app.calls.snapshot()

    def _put_faults(self, environ: dict[str, Any]) -> tuple[int, Any]:
        doc = _json_body(environ)
        raw_rules = doc if isinstance(doc, list) else doc.get("rules") if isinstance(doc, dict) else None
        if not isinstance(raw_rules, list):
            return 400, {"error": 'body must be {"rules": [...]}'}
        seed = doc.get("seed") if isinstance(doc, dict) else None
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            return 400, {"error": "seed must be an integer"}
        try:
            rules = [FaultRule.from_json(r) for r in raw_rules]
        except RuleError as exc:
            return 400, {"error": str(exc)}
        self._app.faults.set_rules(rules, seed=seed)
        return 200, {"rules": self._app.faults.rules()}

    def _put_settings(self, environ: dict[str, Any]) -> tuple[int, Any]:
        doc = _json_body(environ)
        if not isinstance(doc, dict):
            return 400, {"error": "body must be a JSON object"}
        try:
            self._app.apply_settings(doc)
        except SettingsError as exc:
            return 400, {"error": str(exc)}
        return 200, self._app.settings()

    def _clear_faults(self, _: dict[str, Any]) -> tuple[int, Any]:
        self._app.faults.clear()
        return 200, {"rules": []}

    def _reset(self, _: dict[str, Any]) -> tuple[int, Any]:
        self._app.reset_all()
        return 200, {"status": "ok"}
