"""A typed client for the embedded AWS's `/_localaws/` control endpoints (stdlib only)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any


class LocalAWSAdminError(RuntimeError):
    """A control endpoint refused the request (for example an invalid fault rule)."""


class LocalAWSAdmin:
    def __init__(self, endpoint_url: str, timeout: float = 10.0) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")
        self._timeout = timeout

    def _request(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.endpoint_url}/_localaws/{path}", data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            raise LocalAWSAdminError(f"{method} /_localaws/{path}: HTTP {exc.code}: {detail}") from None

    def health(self) -> bool:
        try:
            return self._request("GET", "health").get("status") == "ok"
        except (OSError, LocalAWSAdminError, ValueError):
            return False

    def counters(self) -> dict[str, dict[str, int]]:
        """Every counter at once: {"calls": {...}, "faults": {...}, "throttled": {...}}."""
        return self._request("GET", "calls")

    def calls(self, obj: str | None = None) -> dict[str, int]:
        """Requests received per `service:Operation`, including those answered with an injected fault;
        with `obj` ("namespace/name", or "namespace/" for every object of a namespace) only the calls the
        operator made for those objects."""
        if obj is None:
            return self.counters()["calls"]
        return self._request("GET", f"calls?object={urllib.parse.quote(obj, safe='')}")["calls"]

    def connections(self) -> dict[str, int]:
        """{"accepted": TCP connections the server accepted since it started (these control requests
        included: each opens its own), "open": connections open now}."""
        return self._request("GET", "connections")

    def faults_injected(self) -> dict[str, int]:
        return self.counters()["faults"]

    def throttled(self) -> dict[str, int]:
        """Requests refused per `service:Operation` because the caller's account was over a rate limit
        (each is counted in calls() too; injected ThrottlingException faults are in faults_injected())."""
        return self.counters()["throttled"]

    def reset_calls(self) -> None:
        self._request("POST", "calls/reset")

    def set_faults(self, rules: list[dict[str, Any]], seed: int | None = None) -> None:
        body: dict[str, Any] = {"rules": rules}
        if seed is not None:
            body["seed"] = seed
        self._request("PUT", "faults", body)

    def get_faults(self) -> list[dict[str, Any]]:
        return self._request("GET", "faults")["rules"]

    def clear_faults(self) -> None:
        self._request("DELETE", "faults")

    def settings(self) -> dict[str, Any]:
        return self._request("GET", "settings")

    def set_settings(self, **settings: Any) -> dict[str, Any]:
        """packageCompletionSeconds, groupDeletionSeconds, failPackagesInGroups, rateLimits (control.py)."""
        return self._request("PUT", "settings", settings)

    def set_rate_limits(self, limits: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        """Replace every rate limit, e.g. {"sagemaker:CreateModelPackage": {"ratePerSecond": 10,
        "burst": 20}} (keys as in fault rules; ratelimits.py); {} removes them. Buckets start full."""
        return self.set_settings(rateLimits=limits)["rateLimits"]

    def rate_limits(self) -> dict[str, dict[str, float]]:
        return self.settings()["rateLimits"]

    def event_deliveries(self) -> list[dict[str, Any]]:
        """The last deliveries of SageMaker's events to EventBridge rule targets: eventId, ruleArn,
        targetArn, delivered, and the reason a failed one failed."""
        return list(self._request("GET", "events")["deliveries"])

    def reset(self) -> None:
        self._request("POST", "reset")
