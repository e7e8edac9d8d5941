"""The fixtures every cluster tier (e2e, reliability, Argo CD, image) starts from: a private
kube-apiserver with the CRDs applied, and the embedded AWS as a process of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kube import Kube, open_test_cluster, stop_test_cluster

from registry_testbed import devstack
from registry_testbed.localaws.client import LocalAWSAdmin
from registry_testbed.localaws.seed_accounts import default_client

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def kube(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kube]:
    tmp = tmp_path_factory.mktemp("cluster")
    k = open_test_cluster(tmp, ROOT / "crds")
    yield k
    stop_test_cluster(k.info, tmp)


@pytest.fixture(scope="session")
def aws_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc, url = devstack.start_local_aws(tmp_path_factory.mktemp("logs") / "local-aws.log")
    yield url
    proc.stop()


@pytest.fixture(scope="session")
def aws_admin(aws_endpoint: str) -> LocalAWSAdmin:
    return LocalAWSAdmin(aws_endpoint)


@pytest.fixture(scope="session")
def sagemaker(aws_endpoint: str) -> Any:
    """A SageMaker client acting directly on the registry (the embedded AWS's default account), as a
    person in the console or a pipeline would."""
    return default_client(aws_endpoint, "sagemaker")
