"""Metrics and probes: AWS calls counted by the botocore hook, reconciles by outcome, the HTTP endpoints."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from collections.abc import Iterator

import kopf
import pytest
from prometheus_client import REGISTRY

from registry_operator import health, metrics
from registry_operator.aws.session import ClientFactory, client_config
from registry_testbed.localaws.server import LocalAWS


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with LocalAWS() as aws:
        yield aws.endpoint_url


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_aws_calls_are_counted_by_operation_and_outcome(
    endpoint: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for key, value in {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(key, value)
    sm = ClientFactory(client_config(max_attempts=1)).client("sagemaker", "us-east-2")
    ok = dict(service="sagemaker", operation="CreateModelPackageGroup", outcome="success")
    missing = dict(service="sagemaker", operation="DescribeModelPackageGroup", outcome="ValidationException")
    metrics_name = "registry_operator_aws_calls_total"
    before_ok, before_missing = _value(metrics_name, **ok), _value(metrics_name, **missing)
    with caplog.at_level(logging.INFO, logger="registry_operator.aws"):
        sm.create_model_package_group(ModelPackageGroupName="metrics-test")
    with pytest.raises(sm.exceptions.ClientError):
        sm.describe_model_package_group(ModelPackageGroupName="no-such-group")
    assert _value(metrics_name, **ok) == before_ok + 1
    assert _value(metrics_name, **missing) == before_missing + 1
    # writes are logged with their request id, reads are not
    assert any(
        "AWS sagemaker:CreateModelPackageGroup succeeded (request id " in r.getMessage()
        for r in caplog.records
    )


def test_unreachable_aws_is_counted_by_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard port: connection refused
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    sm = ClientFactory(client_config(max_attempts=1)).client("sagemaker", "us-east-2")
    labels = dict(service="sagemaker", operation="ListModelPackageGroups", outcome="EndpointConnectionError")
    before = _value("registry_operator_aws_calls_total", **labels)
    with pytest.raises(Exception, match="Could not connect"):
        sm.list_model_package_groups()
    assert _value("registry_operator_aws_calls_total", **labels) == before + 1


def test_reconciles_are_counted_by_the_outcome_they_wrote() -> None:
    kind = "UnitTestKind"

    @metrics.observe_reconcile(kind)
    def handler(body: dict, outcome: str | None = None, fail: Exception | None = None, **_: object) -> None:
        if outcome:
            metrics.record_outcome(outcome)
        if fail:
            raise fail

    body = {"metadata": {"namespace": "ns", "name": "n", "uid": "u"}}
    handler(body=body, outcome="Ready")
    handler(body=body, outcome="Stalled")
    with pytest.raises(kopf.TemporaryError):
        handler(body=body, outcome="Progressing", fail=kopf.TemporaryError("waiting", delay=1))
    with pytest.raises(RuntimeError):
        handler(body=body, fail=RuntimeError("bug"))
    handler(body=body)  # decided nothing (a resume of a settled object): not counted
    counts = {
        r: _value("registry_operator_reconciles_total", kind=kind, result=r)
        for r in ("ready", "stalled", "progressing", "error")
    }
    assert counts == {"ready": 1, "stalled": 1, "progressing": 1, "error": 1}
    assert _value("registry_operator_reconcile_duration_seconds_count", kind=kind) == 4
    assert handler.__qualname__.endswith("handler")  # kopf's handler id is unchanged by the decorator
    assert metrics.current_object() is None


def test_resources_by_ready_state() -> None:
    def obj(name: str, ready: str | None, generation: int = 1, observed: int = 1) -> dict:
        conditions = (
            [] if ready is None else [{"type": "Ready", "status": ready, "observedGeneration": observed}]
        )
        return {
            "kind": "GaugeKind",
            "metadata": {"namespace": "ns", "name": name, "generation": generation},
            "status": {"conditions": conditions},
        }

    metrics.RESOURCES.observe(None, obj("a", "True"))
    metrics.RESOURCES.observe("MODIFIED", obj("b", "False"))
    metrics.RESOURCES.observe("ADDED", obj("c", None))
    metrics.RESOURCES.observe("MODIFIED", obj("d", "True", generation=2, observed=1))  # stale Ready
    metrics.RESOURCES.observe("ADDED", obj("e", "True"))
    metrics.RESOURCES.observe("DELETED", obj("e", "True"))
    got = {
        s: _value("registry_operator_resources", kind="GaugeKind", ready=s)
        for s in ("True", "False", "Unknown")
    }
    assert got == {"True": 1, "False": 1, "Unknown": 2}


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_http_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    state = health.Health()
    monkeypatch.setattr(health, "HEALTH", state)
    server = health.serve("127.0.0.1", 0, required=True)
    assert server is not None
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        status, text = _get(f"{base}/metrics")
        assert status == 200 and "registry_operator_reconciles_total" in text
        assert "process_resident_memory_bytes" in text
        assert _get(f"{base}/readyz")[0] == 503  # kopf has not raised the ready flag yet
        assert _get(f"{base}/healthz")[0] == 200
        monkeypatch.setattr(health, "STALE_AFTER_SECONDS", -1.0)
        assert _get(f"{base}/healthz")[0] == 200  # no heartbeat yet: starting, or a standby replica
        monkeypatch.setattr(health, "STALE_AFTER_SECONDS", 60.0)
        state.beat()
        state.ready.set()
        assert _get(f"{base}/readyz") == (200, "ok\n")
        monkeypatch.setattr(health, "STALE_AFTER_SECONDS", -1.0)  # as if the loop stopped ticking
        status, text = _get(f"{base}/healthz")
        assert status == 503 and "event loop unresponsive" in text
        assert _get(f"{base}/readyz")[0] == 503
        assert _get(f"{base}/nothing")[0] == 404
    finally:
        health.stop(server)


def test_busy_default_port_is_a_warning_but_an_explicit_one_is_fatal() -> None:
    first = health.serve("127.0.0.1", 0, required=True)
    assert first is not None
    port = first.server_address[1]
    try:
        assert health.serve("127.0.0.1", port, required=False) is None
        with pytest.raises(OSError):
            health.serve("127.0.0.1", port, required=True)
    finally:
        health.stop(first)
