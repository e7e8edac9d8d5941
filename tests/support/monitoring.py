"""The monitoring the install ships, from one source: `manifests/components/monitoring/` holds the
Prometheus rule file and the Grafana dashboard JSON; the component's PrometheusRule and the Helm chart's
copies are generated from them here (`.venv/bin/python tests/support/monitoring.py` rewrites them, and a
unit test fails when a committed copy differs). Also: Prometheus and promtool from Debian's package,
and the dashboard's queries as Prometheus can run them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPONENT = ROOT / "manifests" / "components" / "monitoring"
RULES = COMPONENT / "prometheus-rules.yaml"
DASHBOARD = COMPONENT / "grafana-dashboard.json"
PROMETHEUS_RULE = COMPONENT / "prometheusrule.yaml"
CHART = ROOT / "charts" / "sagemaker-registry-operator"
CHART_FILES = {RULES: CHART / "files" / RULES.name, DASHBOARD: CHART / "files" / DASHBOARD.name}
RULE_TESTS = ROOT / "tests" / "unit" / "prometheus" / "rules_test.yaml"
DOCS = ROOT / "docs" / "admins" / "observability.md"
NAME = "sagemaker-registry-operator"

_HEADER = f"""\
# Generated from {RULES.name} by tests/support/monitoring.py: edit that file, then run
# .venv/bin/python tests/support/monitoring.py
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: {NAME}
  namespace: {NAME}
  labels:
    app.kubernetes.io/name: {NAME}
    app.kubernetes.io/part-of: {NAME}
spec:
"""


def rules_body(text: str) -> str:
    """The rule file without its leading comment: the `spec` of a PrometheusRule, as the chart's
    template embeds it too."""
    lines = text.splitlines(keepends=True)
    while lines and (lines[0].startswith("#") or not lines[0].strip()):
        lines.pop(0)
    return "".join(lines)


def render_prometheus_rule() -> str:
    body = rules_body(RULES.read_text())
    return _HEADER + "".join(f"  {line}" if line.strip() else line for line in body.splitlines(True))


def write_generated() -> None:
    PROMETHEUS_RULE.write_text(render_prometheus_rule())
    for source, copy in CHART_FILES.items():
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, copy)


# --------------------------------------------------------------------------- rules


def alert_rules(text: str | None = None) -> list[dict[str, Any]]:
    doc = yaml.safe_load(RULES.read_text() if text is None else text)
    return [r for g in doc["groups"] for r in g["rules"] if "alert" in r]


def shortened_rules(for_: str, window: str) -> str:
    """The shipped rule file with every `for:` and every rate window replaced, so that a test against a
    real Prometheus sees the alerts fire and resolve within minutes. Nothing else changes."""
    text = RULES.read_text()
    text, fors = re.subn(r"(?m)^(\s+for:) \S+$", rf"\1 {for_}", text)
    text, windows = re.subn(r"\[\d+[smh]\]", f"[{window}]", text)
    assert fors == len(alert_rules()) and windows > 0, (fors, windows)
    return text


# --------------------------------------------------------------------------- dashboard


def dashboard() -> dict[str, Any]:
    return dict(json.loads(DASHBOARD.read_text()))


def panel_queries(board: dict[str, Any] | None = None) -> list[tuple[str, str, str]]:
    """(panel title, refId, PromQL) of every query of every panel, rows included."""
    found = []
    stack = list((board or dashboard())["panels"])
    while stack:
        panel = stack.pop(0)
        stack.extend(panel.get("panels", []))
        for target in panel.get("targets", []):
            found.append((panel["title"], target["refId"], target["expr"]))
    return found


def resolve_variables(expr: str, job: str, rate_interval: str) -> str:
    """A panel query as Grafana sends it: `$job` the chosen job (a name without regex characters, which
    Grafana sends as it is), `$__rate_interval` a window."""
    assert re.fullmatch(r"[A-Za-z0-9_-]+", job), job
    expr = expr.replace("$__rate_interval", rate_interval).replace("$job", job)
    assert "$" not in expr, expr
    return expr


# --------------------------------------------------------------------------- promtool


def promtool() -> str:
    found = shutil.which("promtool")
    assert found, "promtool is missing: `make prometheus` installs Debian's prometheus package"
    return found


def prometheus() -> str:
    found = shutil.which("prometheus")
    assert found, "prometheus is missing: `make prometheus` installs Debian's prometheus package"
    return found


def promtool_run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool(), *args], capture_output=True, text=True, cwd=cwd, timeout=120)


if __name__ == "__main__":
    write_generated()
    for path in (PROMETHEUS_RULE, *CHART_FILES.values()):
        print(f"wrote {path.relative_to(ROOT)}")
