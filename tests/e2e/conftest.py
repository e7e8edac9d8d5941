"""Fixtures of the end-to-end tier: a real kube-apiserver, the embedded AWS and the operator process."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

sys.path.insert(0, str(Path(__file__).parent))

import operator_config as configs
from accounts import (
    REGION,
)
from kube import Kube, open_test_cluster, stop_test_cluster
from runner import OperatorRunner

from registry_testbed import devstack
from registry_testbed.localaws.client import LocalAWSAdmin

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def kube(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kube]:
    tmp = tmp_path_factory.mktemp("cluster")
    k = open_test_cluster(tmp, ROOT / "crds")
    yield k
    stop_test_cluster(k.info, tmp)


@pytest.fixture(scope="session")
def aws_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    logs = tmp_path_factory.mktemp("logs")
    proc, url = devstack.start_local_aws(logs / "local-aws.log")
    yield url
    proc.stop()


@pytest.fixture(scope="session")
def aws_admin(aws_endpoint: str) -> LocalAWSAdmin:
    return LocalAWSAdmin(aws_endpoint)


@pytest.fixture(scope="session")
def sagemaker(aws_endpoint: str):  # type: ignore[no-untyped-def]
    """A SageMaker client acting directly on the registry, as a person in the console would."""
    return boto3.client(
        "sagemaker",
        region_name=REGION,
        endpoint_url=aws_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="session")
def operator_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("config") / "operator.yaml"
    path.write_text(configs.text())
    return path


@pytest.fixture(scope="session")
def operator(
    kube: Kube, aws_endpoint: str, operator_config: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OperatorRunner]:
    runner = OperatorRunner(
        kube, aws_endpoint, tmp_path_factory.mktemp("logs") / "operator.log", operator_config
    )
    runner.start()
    yield runner
    runner.stop()


@pytest.fixture
def namespace(kube: Kube) -> Iterator[str]:
    name = kube.create_namespace(f"t-{uuid.uuid4().hex[:8]}")
    yield name
    # Not waited for: the namespace controller finishes it once the operator has released its
    # resources' finalizers, which can outlast the test.
    kube.delete("namespace", name)


@pytest.fixture(autouse=True)
def _operator_log_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and "operator" in request.fixturenames:
        runner = request.getfixturevalue("operator")
        print(f"--- operator log (tail) ---\n{runner.tail()}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:  # type: ignore[type-arg]
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
