"""A real Prometheus (Debian's package) on loopback with its own data directory, and its HTTP API."""

from __future__ import annotations

import json
import math
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from registry_testbed import devstack


class PrometheusError(RuntimeError):
    pass


class Prometheus:
    """Scrapes `targets` as job `job` every `interval` and evaluates `rules` (a rule file's text) as often."""

    def __init__(
        self, binary: str, workdir: Path, job: str, targets: list[str], rules: str, interval: str = "1s"
    ) -> None:
        self.workdir = workdir
        self.port = devstack.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "rules.yaml").write_text(rules)
        config = {
            "global": {
                "scrape_interval": interval,
                "scrape_timeout": interval,
                "evaluation_interval": interval,
            },
            "rule_files": [str(workdir / "rules.yaml")],
            "scrape_configs": [{"job_name": job, "static_configs": [{"targets": targets}]}],
        }
        (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.args = [
            binary,
            f"--config.file={workdir / 'prometheus.yml'}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
        ]
        self.process: devstack.Process | None = None

    def start(self, timeout: float = 60.0) -> None:
        log = self.workdir / "prometheus.log"
        out = open(log, "ab")  # noqa: SIM115 (lives as long as the process)
        proc = subprocess.Popen(self.args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.process = devstack.Process("prometheus", proc, log, out)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.process.alive():
                raise PrometheusError(f"prometheus exited at start:\n{self.process.tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise PrometheusError(f"prometheus not ready within {timeout:.0f} s:\n{self.process.tail()}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def _get(self, path: str, **params: Any) -> Any:
        query = urllib.parse.urlencode(params, doseq=True)
        try:
            with urllib.request.urlopen(f"{self.url}/api/v1/{path}?{query}", timeout=30) as resp:
                body = json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            raise PrometheusError(f"{path} {params}: HTTP {exc.code}: {exc.read().decode()}") from None
        if body.get("status") != "success":
            raise PrometheusError(f"{path} {params}: {body}")
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        return list(self._get("query", query=expr)["result"])

    def value(self, expr: str) -> float | None:
        """The single value of an instant query, None when it returns nothing."""
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else None

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[dict[str, Any]]:
        return list(self._get("query_range", query=expr, start=start, end=end, step=step)["result"])

    def label_values(self, label: str, match: str) -> list[str]:
        return list(self._get(f"label/{label}/values", **{"match[]": match}))

    def alerts(self, name: str, state: str = "firing") -> list[dict[str, str]]:
        """Labels of the alerts named `name` in `state` (pending or firing), without alertname/severity."""
        return [
            {k: v for k, v in a["labels"].items() if k not in ("alertname", "severity")}
            for a in self._get("alerts")["alerts"]
            if a["labels"]["alertname"] == name and a["state"] == state
        ]

    def active_alerts(self) -> list[str]:
        return sorted(a["labels"]["alertname"] for a in self._get("alerts")["alerts"])


def finite_points(result: list[dict[str, Any]]) -> int:
    """How many points of a range query's series hold a number (histogram quantiles of nothing are NaN)."""
    return sum(1 for series in result for _, v in series["values"] if math.isfinite(float(v)))


def with_data(result: list[dict[str, Any]]) -> int:
    """How many series of a range query hold at least one number."""
    return sum(1 for series in result if finite_points([series]))
