"""Fixtures of the Argo CD tier: a private control plane (with kube-controller-manager), Argo CD built
from its Go module syncing from a git repository on disk, the embedded AWS and the operator process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import operator_config as configs
import pytest
from appwatch import AppWatch
from kube import Kube
from runner import OperatorRunner

from registry_testbed.argocd import stack
from registry_testbed.argocd.example import EXAMPLE_PATH
from registry_testbed.argocd.gitrepo import GitRepo

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def argocd(kube: Kube, tmp_path_factory: pytest.TempPathFactory) -> Iterator[stack.ArgoCDInfo]:
    state = tmp_path_factory.mktemp("argocd")
    info = stack.up(kube.info, state)
    yield info
    stack.down(state)


@pytest.fixture(scope="session")
def apps(kube: Kube, argocd: stack.ArgoCDInfo) -> Iterator[AppWatch]:
    watch = AppWatch(kube, argocd.namespace)
    watch.start()
    yield watch
    watch.stop()


@pytest.fixture(scope="session")
def repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    """The team's git repository: the iris example at the same path as in this project."""
    git = GitRepo(tmp_path_factory.mktemp("git") / "models")
    git.init({EXAMPLE_PATH: ROOT / EXAMPLE_PATH})
    return git


@pytest.fixture(scope="session")
def operator(
    kube: Kube, aws_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OperatorRunner]:
    """The operator, not yet started: the first test shows what Argo CD reports before it runs."""
    tmp = tmp_path_factory.mktemp("operator")
    config = tmp / "operator.yaml"
    config.write_text(configs.text())
    runner = OperatorRunner(kube, aws_endpoint, tmp / "operator.log", config)
    yield runner
    runner.stop()


@pytest.fixture
def running_operator(operator: OperatorRunner) -> OperatorRunner:
    if operator.process is None or not operator.process.alive():
        operator.start()
    return operator
