"""Fixtures of the end-to-end tier: a real kube-apiserver, the embedded AWS and the operator process."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import operator_config as configs
import pytest
from kube import Kube
from runner import OperatorRunner

ROOT = Path(__file__).resolve().parents[2]


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
