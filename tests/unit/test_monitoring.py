"""The monitoring shipped with the install: the alert rules pass promtool's checks and its unit tests,
every alert and every dashboard query names metrics the operator exports, the docs describe each metric
and alert, and Helm and kustomize ship the same ServiceMonitor, PrometheusRule and dashboard."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from monitoring import (
    CHART,
    CHART_FILES,
    COMPONENT,
    DASHBOARD,
    DOCS,
    NAME,
    PROMETHEUS_RULE,
    RULE_TESTS,
    RULES,
    alert_rules,
    dashboard,
    panel_queries,
    promtool_run,
    render_prometheus_rule,
    resolve_variables,
    shortened_rules,
)
from prometheus_client import REGISTRY

from registry_operator.process import metrics
from registry_testbed.localcluster.build import binaries
from registry_testbed.localcluster.tools import tools

METRIC = re.compile(r"\b(registry_operator_[a-z_]+)\b")
MONITORING_KINDS = {"ServiceMonitor", "PrometheusRule", "ConfigMap"}


def test_generated_copies_are_current() -> None:
    hint = "run .venv/bin/python tests/support/monitoring.py"
    assert PROMETHEUS_RULE.read_text() == render_prometheus_rule(), hint
    for source, copy in CHART_FILES.items():
        assert copy.read_bytes() == source.read_bytes(), hint
    generated = yaml.safe_load(PROMETHEUS_RULE.read_text())
    assert generated["spec"] == yaml.safe_load(RULES.read_text())


def test_promtool_checks_the_rules() -> None:
    out = promtool_run("check", "rules", str(RULES))
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"SUCCESS: {len(alert_rules())} rules found" in out.stdout


def test_promtool_unit_tests_of_every_alert() -> None:
    out = promtool_run("test", "rules", RULE_TESTS.name, cwd=RULE_TESTS.parent)
    assert out.returncode == 0, out.stdout + out.stderr
    # every alert is shown firing, and resolved (or not yet firing) at another time of the same test
    cases = yaml.safe_load(RULE_TESTS.read_text())["tests"]
    for rule in alert_rules():
        evals = [
            e for case in cases for e in case.get("alert_rule_test", []) if e["alertname"] == rule["alert"]
        ]
        assert any(e["exp_alerts"] for e in evals), f"no promtool test fires {rule['alert']}"
        assert any(not e["exp_alerts"] for e in evals), f"no promtool test shows {rule['alert']} quiet"


def test_a_broken_rule_fails_the_promtool_tests(tmp_path: Path) -> None:
    """The promtool tests can fail: the same tests against rules whose `for:` are all 1m."""
    (tmp_path / "rules").mkdir()
    broken = re.sub(r"(?m)^(\s+for:) \S+$", r"\1 1m", RULES.read_text())
    (tmp_path / "rules" / RULES.name).write_text(broken)
    tests = RULE_TESTS.read_text().replace(
        "../../../manifests/components/monitoring/prometheus-rules.yaml", f"rules/{RULES.name}"
    )
    (tmp_path / RULE_TESTS.name).write_text(tests)
    out = promtool_run("test", "rules", RULE_TESTS.name, cwd=tmp_path)
    assert out.returncode != 0 and "FAILED" in out.stdout + out.stderr


def test_shortened_rules_for_the_end_to_end_test_differ_only_in_durations(tmp_path: Path) -> None:
    short = shortened_rules("2s", "90s")
    (tmp_path / "short.yaml").write_text(short)
    out = promtool_run("check", "rules", str(tmp_path / "short.yaml"))
    assert out.returncode == 0, out.stdout + out.stderr
    shipped, shortened = alert_rules(), alert_rules(short)
    for a, b in zip(shipped, shortened, strict=True):
        assert b["for"] == "2s"
        assert re.sub(r"\[\w+\]", "[]", a["expr"]) == re.sub(r"\[\w+\]", "[]", b["expr"])
        assert (a["labels"], a["annotations"]) == (b["labels"], b["annotations"])


def test_every_alert_has_a_summary_a_description_and_a_runbook_section() -> None:
    docs = DOCS.read_text()
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in re.findall(r"^#+ (.+)$", docs, re.M)
    }
    for rule in alert_rules():
        name = rule["alert"]
        assert rule["labels"]["severity"] in ("warning", "critical"), name
        notes = rule["annotations"]
        assert notes["summary"] and notes["description"], name
        assert notes["runbook_url"] == f"{RUNBOOK_BASE}#{name.lower()}", name
        assert name.lower() in anchors, f"docs/admins/observability.md has no section {name}"


RUNBOOK_BASE = yaml.safe_load((CHART / "values.yaml").read_text())["metrics"]["prometheusRule"][
    "runbookBaseUrl"
]


def test_runbook_links_are_absolute_from_one_base_that_helm_sets() -> None:
    """Alertmanager opens runbook_url as it is: an absolute URL, and an install points it elsewhere with
    one value."""
    assert re.fullmatch(r"https://[^#\s]+/docs/admins/observability\.md", RUNBOOK_BASE)
    other = "https://wiki.example.com/ops/registry-operator"
    rendered = _monitoring(_docs(_helm(*ENABLED, f"metrics.prometheusRule.runbookBaseUrl={other}").stdout))
    rules = [r for g in rendered["PrometheusRule"]["spec"]["groups"] for r in g["rules"]]
    assert [r["annotations"]["runbook_url"] for r in rules] == [
        f"{other}#{r['alert'].lower()}" for r in alert_rules()
    ]


# --------------------------------------------------------------------------- metric names


SUFFIXES = {
    "counter": ["_total"],
    "histogram": ["_bucket", "_count", "_sum"],
    "info": ["_info"],
    "gauge": [""],
}


def _families() -> dict[str, str]:
    """Every family the operator exports, with its type."""
    metrics.RESYNC.start(60)  # the resync's families are exported once it runs
    try:
        families = list(REGISTRY.collect())
    finally:
        metrics.RESYNC.stop()
    return {f.name: f.type for f in families if f.name.startswith("registry_operator_")}


def _referenced() -> dict[str, str]:
    """Metric names the alerts and the dashboard's queries use, with where."""
    found = {}
    for rule in alert_rules():
        for name in METRIC.findall(rule["expr"]):
            found[name] = f"alert {rule['alert']}"
    for title, ref, expr in panel_queries():
        for name in METRIC.findall(expr):
            found[name] = f"panel {title} ({ref})"
    return found


def test_alerts_and_panels_use_only_metrics_the_operator_exports() -> None:
    series = {name + suffix for name, kind in _families().items() for suffix in SUFFIXES[kind]}
    missing = {name: where for name, where in _referenced().items() if name not in series}
    assert not missing


def test_docs_list_every_metric_family() -> None:
    # as a scrape shows them: counters with _total, info with _info
    exposed = {
        name + {"counter": "_total", "info": "_info"}.get(kind, "") for name, kind in _families().items()
    }
    table = DOCS.read_text().split("## Metrics", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `(registry_operator_[a-z_]+)`", table, re.M))
    assert documented == exposed


# --------------------------------------------------------------------------- dashboard


def test_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    board = dashboard()
    assert board["uid"] == NAME
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    queries = panel_queries(board)
    assert len(queries) >= 15
    for panel in board["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
            assert panel["targets"], panel["title"]
    # promtool parses every query as the expression of a recording rule
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"panel:{i}", "expr": resolve_variables(expr, NAME, "1m")}
                    for i, (_, _, expr) in enumerate(queries)
                ],
            }
        ]
    }
    (tmp_path / "panels.yaml").write_text(yaml.safe_dump(rules))
    out = promtool_run("check", "rules", str(tmp_path / "panels.yaml"))
    assert out.returncode == 0, out.stdout + out.stderr


# --------------------------------------------------------------------------- Helm and kustomize


def _kustomize_with_component(tmp_path: Path) -> list[dict[str, Any]]:
    """The cluster-wide install plus the monitoring component, as a user's kustomization adds it."""
    overlays = COMPONENT.parents[1] / "overlays" / "cluster-wide"
    (tmp_path / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": [os.path.relpath(overlays, tmp_path)],
                "components": [os.path.relpath(COMPONENT, tmp_path)],
            }
        )
    )
    out = subprocess.run(
        [str(binaries().kubectl), "kustomize", str(tmp_path)], capture_output=True, text=True, check=True
    ).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def _helm(*sets: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    args = [str(tools().helm), "template", NAME, str(CHART), "--namespace", NAME]
    for s in sets:
        args += ["--set", s]
    return subprocess.run(args, capture_output=True, text=True, check=check)


def _docs(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


def _monitoring(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        d["kind"]: d
        for d in docs
        if d["kind"] in MONITORING_KINDS
        and d["metadata"]["name"] != f"{NAME}-config"
        and not d["metadata"]["name"].startswith(f"{NAME}-config-")
    }


ENABLED = (
    "metrics.serviceMonitor.enabled=true",
    "metrics.prometheusRule.enabled=true",
    "metrics.grafanaDashboard.enabled=true",
)


def test_helm_and_kustomize_ship_the_same_monitoring(tmp_path: Path) -> None:
    kustomized_docs = _kustomize_with_component(tmp_path)
    helmed_docs = _docs(_helm(*ENABLED).stdout)
    kustomized, helmed = _monitoring(kustomized_docs), _monitoring(helmed_docs)
    assert set(kustomized) == set(helmed) == MONITORING_KINDS
    for kind in MONITORING_KINDS:
        k, h = kustomized[kind], helmed[kind]
        assert (k["metadata"]["name"], k["metadata"]["namespace"]) == (
            h["metadata"]["name"],
            h["metadata"]["namespace"],
        ), kind
        for label, value in k["metadata"]["labels"].items():
            assert h["metadata"]["labels"].get(label) == value, (kind, label)
    assert kustomized["ServiceMonitor"]["spec"] == helmed["ServiceMonitor"]["spec"]
    assert kustomized["PrometheusRule"]["spec"] == helmed["PrometheusRule"]["spec"]
    assert kustomized["PrometheusRule"]["spec"] == yaml.safe_load(RULES.read_text())
    for cm in (kustomized["ConfigMap"], helmed["ConfigMap"]):
        assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"  # what Grafana's sidecar looks for
        assert json.loads(cm["data"][f"{NAME}.json"]) == json.loads(DASHBOARD.read_text())
    # the ServiceMonitor selects the metrics Service, and its port, in both
    for docs, found in ((kustomized_docs, kustomized), (helmed_docs, helmed)):
        service = next(
            d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == f"{NAME}-metrics"
        )
        selector = found["ServiceMonitor"]["spec"]["selector"]["matchLabels"]
        assert selector.items() <= service["metadata"]["labels"].items()
        ports = {p["name"] for p in service["spec"]["ports"]}
        assert {e["port"] for e in found["ServiceMonitor"]["spec"]["endpoints"]} <= ports


def test_helm_ships_no_monitoring_by_default_and_no_service_monitor_without_its_service() -> None:
    assert not _monitoring(_docs(_helm().stdout))
    refused = _helm("metrics.serviceMonitor.enabled=true", "metrics.service.enabled=false", check=False)
    assert refused.returncode != 0 and "needs metrics.service.enabled" in refused.stderr


@pytest.mark.parametrize(
    "sets",
    [
        (
            "metrics.grafanaDashboard.namespace=grafana",
            "metrics.grafanaDashboard.annotations.grafana_folder=Ops",
        ),
        ("metrics.serviceMonitor.labels.release=kps", "metrics.prometheusRule.labels.release=kps"),
    ],
)
def test_helm_monitoring_values(sets: tuple[str, ...]) -> None:
    found = _monitoring(_docs(_helm(*ENABLED, *sets).stdout))
    if "grafana" in sets[0]:
        assert found["ConfigMap"]["metadata"]["namespace"] == "grafana"
        assert found["ConfigMap"]["metadata"]["annotations"] == {"grafana_folder": "Ops"}
    else:
        assert found["ServiceMonitor"]["metadata"]["labels"]["release"] == "kps"
        assert found["PrometheusRule"]["metadata"]["labels"]["release"] == "kps"
