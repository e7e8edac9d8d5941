"""Asking the operator's HTTP endpoints (/metrics, /healthz, /readyz) what they answer."""

from __future__ import annotations

import urllib.error
import urllib.request


def http_get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    """The status and body a GET answers, error statuses included; (0, the reason) while nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError as exc:
        return 0, str(exc)
