"""Fixtures of the image tier: a private control plane and the embedded AWS on the host; the operator
itself runs from the image (`make image`) with podman."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from kube import Kube, open_test_cluster, stop_test_cluster

from registry_testbed import devstack

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
