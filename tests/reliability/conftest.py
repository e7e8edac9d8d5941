"""Fixtures of the reliability tier: one cluster per session, and per test module its own embedded AWS
and operator process watching only that module's namespaces, so call counters see that module alone."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kube import Kube
from runner import OperatorRunner

from registry_testbed import devstack
from registry_testbed.localaws.client import LocalAWSAdmin
from registry_testbed.localaws.seed_accounts import default_client

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Stack:
    kube: Kube
    endpoint: str
    admin: LocalAWSAdmin
    operator: OperatorRunner
    namespaces: list[str]

    def client(self, service: str) -> Any:
        """A client of this stack's embedded AWS, in its default account."""
        return default_client(self.endpoint, service, "us-east-2")


@pytest.fixture(scope="module")
def stack(
    kube: Kube, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Stack]:
    """The module's NAMESPACES, OPERATOR_CONFIG (YAML text), OPERATOR_ARGS and OPERATOR_ENV decide what
    the operator watches, allows and how it runs."""
    namespaces: list[str] = request.module.NAMESPACES
    tmp = tmp_path_factory.mktemp(request.module.__name__)
    config = tmp / "operator.yaml"
    # By default the module's namespaces may register into the groups its tests make with boto3.
    default = "defaultRegion: us-east-2\nnamespaces:\n" + "".join(
        f"  {ns}:\n    groups: ['*']\n" for ns in namespaces
    )
    config.write_text(getattr(request.module, "OPERATOR_CONFIG", default))
    aws, endpoint = devstack.start_local_aws(tmp / "local-aws.log")
    for ns in namespaces:
        kube.create_namespace(ns)
    args = [arg for ns in namespaces for arg in ("--namespace", ns)]
    # Each module's operator keeps its cluster-name record in its own namespace: modules share the API server.
    args += ["--state-namespace", namespaces[0]]
    args += getattr(request.module, "OPERATOR_ARGS", [])
    env = getattr(request.module, "OPERATOR_ENV", {})
    runner = OperatorRunner(kube, endpoint, tmp / "operator.log", config, args, env)
    runner.start()
    yield Stack(kube, endpoint, LocalAWSAdmin(endpoint), runner, namespaces)
    runner.stop()
    aws.stop()
