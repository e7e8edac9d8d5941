"""The local control plane: start, reuse, stop, and the KUBECONFIG reachability check."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from registry_testbed.localcluster import cluster
from registry_testbed.localcluster.build import binaries


def _can_get_binaries() -> bool:
    b = binaries()
    cached = all(p.exists() for p in (b.etcd, b.kube_apiserver, b.kube_controller_manager, b.kubectl))
    return cached or shutil.which("go") is not None


def _write_kubeconfig(path: Path, server: str) -> Path:
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": server, "insecure-skip-tls-verify": True}}],
                "users": [{"name": "u", "user": {"token": "nope"}}],
                "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "c",
            }
        )
    )
    return path


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_kubeconfig_is_not_used(tmp_path: Path) -> None:
    refused = _write_kubeconfig(tmp_path / "refused", f"https://127.0.0.1:{_closed_port()}")
    assert cluster.probe_kubeconfig(str(refused), timeout=2)[0] is False
    assert cluster.probe_kubeconfig(str(tmp_path / "missing"), timeout=2)[0] is False

    # A server that accepts connections but never answers must cost one short timeout, not a
    # hang or several retried timeouts.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        mute = _write_kubeconfig(tmp_path / "mute", f"https://127.0.0.1:{silent.getsockname()[1]}")
        started = time.monotonic()
        assert cluster.probe_kubeconfig(str(mute), timeout=1)[0] is False
        assert time.monotonic() - started < 5


@pytest.mark.skipif(
    not _can_get_binaries(), reason="the local control plane is built from Go modules and `go` is not on PATH"
)
@pytest.mark.timeout(1800)  # the first run builds kube-apiserver (10-15 minutes on 2 cores)
def test_cluster_up_reuse_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state_dir = tmp_path / "cluster"
    # An unreachable KUBECONFIG must not be trusted: up() starts a private cluster instead.
    monkeypatch.setenv("KUBECONFIG", str(_write_kubeconfig(tmp_path / "bogus", "https://127.0.0.1:1")))
    info = cluster.up(state_dir)
    try:
        assert not info.external
        assert info.kubeconfig == state_dir.absolute() / "kubeconfig"

        def kubectl(*args: str) -> str:
            return subprocess.run(
                [str(info.kubectl), "--kubeconfig", str(info.kubeconfig), *args],
                check=True,
                capture_output=True,
                text=True,
                timeout=30,
            ).stdout.strip()

        assert kubectl("get", "--raw", "/readyz") == "ok"
        assert kubectl("auth", "can-i", "*", "*") == "yes"

        state = json.loads((state_dir / "cluster.json").read_text())
        pids = [state["etcd"]["pid"], state["apiserver"]["pid"], state["controller_manager"]["pid"]]
        print(
            f"kube-apiserver ready in {state['apiserver_ready_seconds']} s, kube-controller-manager in "
            f"{state['controller_manager_ready_seconds']} s, whole start-up {state['startup_seconds']} s"
        )

        # The controller-manager's work: a deleted namespace goes away (and can be made again), a
        # ConfigMap owned by a deleted one is garbage-collected, a namespace gets its default ServiceAccount.
        kubectl("create", "namespace", "gone")
        kubectl("create", "configmap", "inside", "-n", "gone")
        kubectl("wait", "--for=create", "serviceaccount/default", "-n", "gone", "--timeout=60s")
        kubectl("delete", "namespace", "gone", "--wait=true", "--timeout=120s")
        kubectl("create", "namespace", "gone")
        owner_uid = kubectl("create", "configmap", "owner", "-o", "jsonpath={.metadata.uid}")
        owned = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": "owned",
                "ownerReferences": [
                    {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner_uid}
                ],
            },
        }
        subprocess.run(
            [str(info.kubectl), "--kubeconfig", str(info.kubeconfig), "create", "-f", "-"],
            input=json.dumps(owned), check=True, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        kubectl("delete", "configmap", "owner")
        kubectl("wait", "--for=delete", "configmap/owned", "--timeout=120s")

        again = cluster.up(state_dir)
        assert again == info
        assert json.loads((state_dir / "cluster.json").read_text())["apiserver"]["pid"] == pids[1]

        # Reachable but with credentials the server rejects is not usable either.
        doc = json.loads(info.kubeconfig.read_text())
        doc["users"][0]["user"]["token"] = "wrong"
        bad_token = tmp_path / "bad-token"
        bad_token.write_text(json.dumps(doc))
        assert cluster.probe_kubeconfig(str(bad_token))[0] is False

        # A reachable KUBECONFIG is used as is and nothing new is started.
        monkeypatch.setenv("KUBECONFIG", str(info.kubeconfig))
        other = cluster.up(tmp_path / "other")
        assert other.external and other.server == info.server
        assert not (tmp_path / "other" / "cluster.json").exists()
    finally:
        cluster.down(state_dir)

    assert not any(cluster._alive(pid) for pid in pids)
    assert not (state_dir / "etcd-data").exists()
    assert not (state_dir / "cluster.json").exists()
    assert not (state_dir / "certs").exists()
    cluster.down(state_dir)  # a second down is harmless
