"""Metrics and probes: AWS calls, errors and throttled attempts counted by the botocore hooks, reconciles
by outcome, objects by condition and time to Ready, the resync's lag, the HTTP endpoints."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from http_probe import http_get
from prometheus_client import REGISTRY

from registry_operator import __version__
from registry_operator.aws.session import ClientFactory, client_config
from registry_operator.process import health, metrics
from registry_operator.reconcile.outcome import ObjectRef
from registry_testbed.localaws.client import LocalAWSAdmin
from registry_testbed.localaws.server import LocalAWS


@pytest.fixture
def endpoint(local_aws: LocalAWS, aws_env: Callable[[str], None]) -> str:
    """The wiped embedded AWS's endpoint, which the operator's client factory reaches."""
    local_aws.admin.reset()
    aws_env(local_aws.endpoint_url)
    return local_aws.endpoint_url


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_aws_calls_are_counted_by_operation_and_outcome(
    endpoint: str, caplog: pytest.LogCaptureFixture
) -> None:
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


def test_unreachable_aws_is_counted_by_exception(aws_env: Callable[[str], None]) -> None:
    aws_env("http://127.0.0.1:9")  # discard port: connection refused
    sm = ClientFactory(client_config(max_attempts=1)).client("sagemaker", "us-east-2")
    labels = dict(service="sagemaker", operation="ListModelPackageGroups", outcome="EndpointConnectionError")
    before = _value("registry_operator_aws_calls_total", **labels)
    with pytest.raises(Exception, match="Could not connect"):
        sm.list_model_package_groups()
    assert _value("registry_operator_aws_calls_total", **labels) == before + 1


def test_reconciles_are_counted_by_the_outcome_they_wrote() -> None:
    kind = "UnitTestKind"
    ref = ObjectRef("ns", "n", "u", 1)

    def run(outcome: str | None = None, fail: Exception | None = None) -> None:
        with metrics.reconciling(kind, ref):
            assert metrics.current_object() == {"kind": kind, "name": "n", "uid": "u", "namespace": "ns"}
            if outcome:
                metrics.record_outcome(outcome)
            if fail:
                raise fail

    run(outcome="Ready")
    run(outcome="Stalled")
    run(outcome="Progressing")
    with pytest.raises(RuntimeError):
        run(fail=RuntimeError("bug"))
    with pytest.raises(RuntimeError):  # an outcome decided, then writing it failed (a refused status patch)
        run(outcome="Stalled", fail=RuntimeError("status write refused"))
    run()  # decided nothing (an object waiting for its finalizer): not counted
    counts = {
        r: _value("registry_operator_reconciles_total", kind=kind, result=r)
        for r in ("ready", "stalled", "progressing", "error")
    }
    assert counts == {"ready": 1, "stalled": 1, "progressing": 1, "error": 2}
    assert _value("registry_operator_reconcile_duration_seconds_count", kind=kind) == 5
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


def test_throttled_attempts_and_errors_by_category(endpoint: str) -> None:
    admin = LocalAWSAdmin(endpoint)
    sm = ClientFactory(client_config(max_attempts=3)).client("sagemaker", "us-east-2")
    throttled = dict(service="sagemaker", operation="ListModelPackageGroups")
    error = dict(throttled, code="ThrottlingException", category="Throttled")
    missing = dict(
        service="sagemaker",
        operation="DescribeModelPackageGroup",
        code="ValidationException",
        category="NotFound",
    )
    before = (
        _value("registry_operator_aws_throttled_requests_total", **throttled),
        _value("registry_operator_aws_errors_total", **error),
        _value("registry_operator_aws_errors_total", **missing),
    )
    injected_before = admin.faults_injected().get("sagemaker:ListModelPackageGroups", 0)
    admin.set_faults([{"operation": "sagemaker:ListModelPackageGroups", "rate": 1.0}])
    try:
        with pytest.raises(sm.exceptions.ClientError, match="Throttling"):
            sm.list_model_package_groups()
    finally:
        admin.clear_faults()
    sm.list_model_package_groups()  # a success adds to neither
    with pytest.raises(sm.exceptions.ClientError):
        sm.describe_model_package_group(ModelPackageGroupName="no-such-group")
    after = (
        _value("registry_operator_aws_throttled_requests_total", **throttled),
        _value("registry_operator_aws_errors_total", **error),
        _value("registry_operator_aws_errors_total", **missing),
    )
    injected = admin.faults_injected()["sagemaker:ListModelPackageGroups"] - injected_before
    # every attempt the embedded AWS throttled (botocore retried them) counted; one call failed in the end
    assert injected > 1
    assert [a - b for a, b in zip(after, before, strict=True)] == [injected, 1, 1]


def _object(
    name: str,
    conditions: list[dict[str, Any]] | None,
    generation: int = 1,
    kind: str = "ConditionKind",
    applied: datetime | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"namespace": "ns", "name": name, "generation": generation}
    created = datetime.now(UTC) - timedelta(hours=1)
    meta["creationTimestamp"] = created.isoformat().replace("+00:00", "Z")
    if applied is not None:
        meta["managedFields"] = [
            {
                "manager": "kubectl",
                "operation": "Update",
                "time": applied.isoformat(),
                "fieldsV1": {"f:spec": {}},
            },
            # the operator's own writes: status, and kopf's annotations; neither is an apply of the spec
            {
                "manager": "kopf",
                "operation": "Update",
                "subresource": "status",
                "time": _now(),
                "fieldsV1": {},
            },
            {"manager": "kopf", "operation": "Update", "time": _now(), "fieldsV1": {"f:metadata": {}}},
        ]
    return {"kind": kind, "metadata": meta, "status": {"conditions": conditions or []}}


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _conditions(state: str, reason: str, generation: int = 1) -> list[dict[str, Any]]:
    return [
        {
            "type": ctype,
            "status": "True" if ctype == state else "False",
            "reason": why,
            "observedGeneration": generation,
        }
        for ctype, why in (
            ("Ready", reason),  # Ready carries the outcome's reason, True or False
            ("Reconciling", reason if state == "Reconciling" else "ReconcileComplete"),
            ("Stalled", reason if state == "Stalled" else "NotStalled"),
        )
    ]


def test_resources_by_condition_status_and_reason() -> None:
    kind = "ConditionKind"
    observe = metrics.RESOURCES.observe
    observe("ADDED", _object("ready", _conditions("Ready", "Registered"), kind=kind))
    observe("ADDED", _object("stalled", _conditions("Stalled", "NotPermitted"), kind=kind))
    observe("ADDED", _object("throttled", _conditions("Reconciling", "Throttled"), kind=kind))
    observe("ADDED", _object("new", None, kind=kind))
    observe("MODIFIED", _object("edited", _conditions("Stalled", "NotPermitted"), generation=2, kind=kind))
    observe("ADDED", _object("odd", _conditions("Stalled", "not a reason: ARN arn:aws:..."), kind=kind))

    def value(condition: str, status: str, reason: str) -> float:
        labels = dict(kind=kind, condition=condition, status=status, reason=reason)
        return _value("registry_operator_resource_conditions", **labels)

    assert value("Stalled", "True", "NotPermitted") == 1
    assert value("Stalled", "True", "Other") == 1  # written by someone else: no new series per text
    assert value("Reconciling", "True", "Throttled") == 1
    assert value("Ready", "True", "Registered") == 1
    assert value("Ready", "False", "NotPermitted") == 1
    assert value("Stalled", "Unknown", "StaleGeneration") == 1  # stalled for a spec since replaced
    assert value("Ready", "Unknown", "NoCondition") == 1
    observe("DELETED", _object("stalled", _conditions("Stalled", "NotPermitted"), kind=kind))
    assert value("Stalled", "True", "NotPermitted") == 0  # still exported, as 0
    # every object counts once per condition type
    for ctype in metrics.CONDITIONS:
        total = sum(
            value(ctype, status, reason)
            for status in ("True", "False", "Unknown")
            for reason in (
                "Registered",
                "NotPermitted",
                "Throttled",
                "ReconcileComplete",
                "NotStalled",
                "Other",
                "StaleGeneration",
                "NoCondition",
            )
        )
        assert total == 5, ctype


def test_reasons_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    collector = metrics._ObjectsCollector()
    monkeypatch.setattr(metrics, "MAX_REASONS", 4)  # Reconciling's ReconcileComplete is one of them
    for i in range(6):
        collector.observe("ADDED", _object(f"o{i}", _conditions("Stalled", f"Reason{i}")))
    reasons = {
        s.labels["reason"]
        for family in collector.collect()
        if family.name == "registry_operator_resource_conditions"
        for s in family.samples
        if s.labels["condition"] == "Stalled" and s.labels["status"] == "True"
    }
    assert reasons == {"Reason0", "Reason1", "Reason2", "Other"}


def test_time_to_ready_from_the_last_apply_once_per_generation() -> None:
    kind = "TimedKind"
    applied = datetime.now(UTC) - timedelta(seconds=90)
    observe = metrics.RESOURCES.observe

    def counts() -> tuple[float, float]:
        return (
            _value("registry_operator_time_to_ready_seconds_bucket", kind=kind, le="60.0"),
            _value("registry_operator_time_to_ready_seconds_bucket", kind=kind, le="120.0"),
        )

    observe(None, _object("restarted", _conditions("Ready", "UpToDate"), kind=kind, applied=applied))
    assert counts() == (0, 0)  # already Ready when first seen: a restart, nothing measured
    observe("ADDED", _object("new", None, kind=kind, applied=applied))
    observe("MODIFIED", _object("new", _conditions("Reconciling", "Throttled"), kind=kind, applied=applied))
    observe("MODIFIED", _object("new", _conditions("Ready", "Registered"), kind=kind, applied=applied))
    assert counts() == (0, 1)  # 90 s after the apply, not after the creation an hour ago
    observe("MODIFIED", _object("new", _conditions("Reconciling", "Throttled"), kind=kind, applied=applied))
    observe("MODIFIED", _object("new", _conditions("Ready", "UpToDate"), kind=kind, applied=applied))
    assert counts() == (0, 1)  # Ready again for the same generation: not a new apply
    edited = datetime.now(UTC) - timedelta(seconds=30)
    observe("MODIFIED", _object("new", _conditions("Ready", "UpToDate"), 2, kind, edited))  # stale Ready
    observe("MODIFIED", _object("new", _conditions("Ready", "Updated", 2), 2, kind, edited))
    assert counts() == (1, 2)


class _Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_resync_lag_and_groups_without_a_label_per_group(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _Clock()
    monkeypatch.setattr(metrics.time, "time", clock)
    resync = metrics.RESYNC
    assert _value("registry_operator_resync_interval_seconds") == 0  # not exported before the resync runs
    resync.start(60)
    try:

        def read() -> tuple[float, float, float]:
            return (
                _value("registry_operator_resync_groups", result="success"),
                _value("registry_operator_resync_groups", result="failure"),
                _value("registry_operator_resync_oldest_success_timestamp_seconds"),
            )

        assert read() == (0, 0, clock.now)  # no group: as of the start
        assert _value("registry_operator_resync_interval_seconds") == 60
        resync.pass_started(["a", "b"])
        first_seen = clock.now
        clock.now += 1
        resync.listed("a")
        resync.failed("b")
        resync.pass_finished()
        assert read() == (1, 1, first_seen)  # b never listed: lagging since it was first tracked
        clock.now += 60
        resync.pass_started(["a", "b"])
        resync.listed("a")
        a_listed = clock.now
        clock.now += 1
        resync.listed("b")
        resync.pass_finished()
        assert read() == (2, 0, a_listed)  # both listed: the older of the two successes
        clock.now += 60
        resync.pass_started(["b"])  # a's versions are gone: a is no longer tracked
        resync.listed("b")
        resync.pass_finished()
        assert read() == (1, 0, clock.now)
        resync.pass_started([])
        resync.pass_finished()
        assert read() == (0, 0, clock.now)
        assert _value("registry_operator_resync_duration_seconds_count") >= 4
    finally:
        resync.stop()
    assert _value("registry_operator_resync_interval_seconds") == 0


def test_every_kinds_reconcile_series_exist_before_the_first_reconcile() -> None:
    """rate() over a counter series that appears with its first increment misses that increment."""
    import registry_operator.handlers.operator  # noqa: F401  (registers the kinds' series)
    from registry_operator.reconcile.catalogue import KINDS

    for info in KINDS:
        for result in metrics.RESULTS:
            labels = {"kind": info.kind, "result": result}
            assert REGISTRY.get_sample_value("registry_operator_reconciles_total", labels) is not None
        count = REGISTRY.get_sample_value(
            "registry_operator_time_to_ready_seconds_count", {"kind": info.kind}
        )
        assert count is not None


def test_build_info() -> None:
    families = {f.name: f for f in REGISTRY.collect()}
    (sample,) = families["registry_operator_build"].samples
    assert sample.value == 1
    assert sample.labels["version"] == __version__
    assert set(sample.labels) == {"version", "python_version", "kopf_version", "botocore_version"}


def test_http_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    state = health.Health()
    monkeypatch.setattr(health, "HEALTH", state)
    server = health.serve("127.0.0.1", 0, required=True)
    assert server is not None
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        status, text = http_get(f"{base}/metrics")
        assert status == 200 and "registry_operator_reconciles_total" in text
        assert "process_resident_memory_bytes" in text
        assert http_get(f"{base}/readyz")[0] == 503  # kopf has not raised the ready flag yet
        assert http_get(f"{base}/healthz")[0] == 200
        monkeypatch.setattr(health, "STALE_AFTER_SECONDS", -1.0)
        assert http_get(f"{base}/healthz")[0] == 200  # no heartbeat yet: starting, or a standby replica
        monkeypatch.setattr(health, "STALE_AFTER_SECONDS", 60.0)
        state.beat()
        state.ready.set()
        assert http_get(f"{base}/readyz") == (200, "ok\n")
        monkeypatch.setattr(health, "STALE_AFTER_SECONDS", -1.0)  # as if the loop stopped ticking
        status, text = http_get(f"{base}/healthz")
        assert status == 503 and "event loop unresponsive" in text
        assert http_get(f"{base}/readyz")[0] == 503
        assert http_get(f"{base}/nothing")[0] == 404
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


def test_a_version_set_back_again_and_again_is_a_fight_until_it_is_deleted() -> None:
    fights = metrics._FightsCollector()
    for _ in range(metrics.FIGHT_REVERTS - 1):
        fights.reverted("u1")
    fights.reverted("u2")
    assert fights.fights() == 0
    fights.reverted("u1")
    assert fights.fights() == 1
    fights.forget("u1")
    assert fights.fights() == 0
