"""The operator image, as built by `make image` (podman, the Dockerfile), run for real: non-root, host
network, against the local control plane and the embedded AWS started on the host. It registers a
ModelVersion; the test prints the image's size and the user the operator runs as."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import manifests
import pytest
from http_probe import http_get
from kube import Kube
from waiting import eventually

from registry_testbed import devstack

ROOT = Path(__file__).resolve().parents[2]
IMAGE = os.environ.get("IMAGE", "sagemaker-registry-operator:0.1.0")
ENV = dict(
    os.environ, CONTAINERS_CONF=os.environ.get("CONTAINERS_CONF", str(ROOT / "tools/image/containers.conf"))
)


def podman(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(["podman", *args], capture_output=True, text=True, env=ENV, timeout=timeout)
    if check and res.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} exited {res.returncode}: {res.stderr.strip()}")
    return res


@pytest.fixture
def container(kube: Kube, aws_endpoint: str, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """The operator from the image, watching one namespace; yields (container, namespace, metrics URL)."""
    assert shutil.which("podman"), "podman is needed: `make image` installs it and builds the image"
    assert podman("image", "exists", IMAGE, check=False).returncode == 0, (
        f"no image {IMAGE}: run `make image`"
    )
    namespace = kube.create_namespace(f"image-{uuid.uuid4().hex[:6]}")
    # The container's user is not root: it reads copies that are world-readable, in a private dir.
    mounts = tmp_path / "mounts"
    mounts.mkdir(mode=0o755)
    kubeconfig = mounts / "kubeconfig"
    shutil.copyfile(kube.info.kubeconfig, kubeconfig)
    config = mounts / "operator.yaml"
    config.write_text("defaultRegion: us-east-2\nresyncIntervalSeconds: 5\n")
    for path in (kubeconfig, config):
        path.chmod(0o644)
    port = devstack.free_port()
    name = f"registry-operator-test-{uuid.uuid4().hex[:8]}"
    env = {**devstack.LOCAL_AWS_ENV, "AWS_ENDPOINT_URL": aws_endpoint, "KUBECONFIG": "/config/kubeconfig"}
    podman(
        "run", "--detach", "--name", name, "--network=host",
        "--volume", f"{kubeconfig}:/config/kubeconfig:ro", "--volume", f"{config}:/config/operator.yaml:ro",
        *(arg for key, value in env.items() for arg in ("--env", f"{key}={value}")),
        IMAGE,
        # The image's CMD, then what a Deployment's args add.
        "--log-format=json", f"--metrics-port={port}",
        "--config=/config/operator.yaml", f"--namespace={namespace}",
    )  # fmt: skip
    try:
        yield name, namespace, f"http://127.0.0.1:{port}"
    finally:
        logs = podman("logs", "--tail", "40", name, check=False)
        print(f"--- operator container log (tail) ---\n{logs.stdout}{logs.stderr}")
        podman("stop", "--time", "10", name, check=False)
        podman("rm", "--force", name, check=False)
        kube.delete("namespace", namespace)


@pytest.mark.timeout(600)
def test_the_operator_image_registers_a_version(
    kube: Kube, sagemaker: Any, container: tuple[str, str, str]
) -> None:
    name, namespace, metrics = container
    eventually(
        lambda: http_get(f"{metrics}/readyz")[0] == 200,
        timeout=120,
        what="the container's /readyz answers 200",
    )

    group = f"image-{namespace}"
    kube.apply(
        [
            manifests.group(group, namespace),
            manifests.version("from-image", namespace, group_ref=group, approvalStatus="Approved"),
        ]
    )
    kube.wait("modelversion", "from-image", namespace, timeout=180)
    arn = kube.get("modelversion", "from-image", namespace)["status"]["modelPackageArn"]
    registered = sagemaker.describe_model_package(ModelPackageName=arn)
    assert registered["ModelPackageGroupName"] == group
    assert registered["ModelApprovalStatus"] == "Approved"

    uid = podman("exec", name, "id", "-u").stdout.strip()
    inspect = json.loads(podman("image", "inspect", IMAGE).stdout)[0]
    assert uid == "65532" and inspect["Config"]["User"] == "65532:65532"
    running = json.loads(podman("inspect", name).stdout)[0]
    assert running["State"]["Running"] and running["HostConfig"]["NetworkMode"] == "host"
    logged = podman("logs", name)
    records = [
        json.loads(line) for line in (logged.stdout + logged.stderr).splitlines() if line.startswith("{")
    ]
    assert any("from-image" in json.dumps(r) for r in records), "the JSON log names the version"
    print(
        f"image {IMAGE}: {inspect['Size'] / 1e6:.0f} MB ({inspect['Size']} bytes), "
        f"{len(inspect['RootFS']['Layers'])} layers; the operator runs as uid {uid} "
        f"(image USER {inspect['Config']['User']}); registered {arn}"
    )
