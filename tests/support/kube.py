"""kubectl-based helpers for the end-to-end tests (no pytest fixtures here; conftest wires them).

kubectl rather than the Python client: it is what a user of the operator runs, its error messages
are readable in test failures, and `kubectl wait` already knows how to wait on conditions.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

from waiting import eventually

from registry_testbed.localcluster.cluster import ClusterInfo, down, up

Manifest = str | Path | dict[str, Any] | list[dict[str, Any]]


class KubectlError(subprocess.CalledProcessError):
    """A failed kubectl call whose message carries kubectl's stderr, so test failures explain themselves."""

    def __str__(self) -> str:
        cmd = " ".join(self.cmd[3:]) if isinstance(self.cmd, list) else str(self.cmd)  # drop kubeconfig
        return f"kubectl {cmd} exited {self.returncode}: {(self.stderr or '').strip()}"


class Kube:
    def __init__(self, info: ClusterInfo) -> None:
        self.info = info

    def env(self) -> dict[str, str]:
        """An environment pointing KUBECONFIG at this cluster, e.g. for the operator process."""
        return dict(os.environ, KUBECONFIG=str(self.info.kubeconfig))

    def kubectl(
        self, *args: str, input: str | None = None, check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.info.kubectl), "--kubeconfig", str(self.info.kubeconfig), *args]
        res = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout)
        if check and res.returncode != 0:
            raise KubectlError(res.returncode, cmd, res.stdout, res.stderr)
        return res

    def apply(
        self, manifest: Manifest, namespace: str | None = None, server_side: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """Apply YAML text, a file or directory path, or manifest dicts."""
        args = ["apply", *_ns(namespace)]
        if server_side:
            args += ["--server-side", "--force-conflicts"]
        if isinstance(manifest, Path) or (
            isinstance(manifest, str) and "\n" not in manifest and Path(manifest).exists()
        ):
            return self.kubectl(*args, "-f", str(manifest))
        if isinstance(manifest, dict):
            text = json.dumps(manifest)
        elif isinstance(manifest, list):
            text = json.dumps({"apiVersion": "v1", "kind": "List", "items": manifest})
        else:
            text = manifest
        return self.kubectl(*args, "-f", "-", input=text)

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        return json.loads(self.kubectl("get", kind, name, *_ns(namespace), "-o", "json").stdout)

    def try_get(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        """Like get, but None when the object does not exist."""
        res = self.kubectl("get", kind, name, *_ns(namespace), "-o", "json", "--ignore-not-found")
        return json.loads(res.stdout) if res.stdout.strip() else None

    def wait(
        self,
        kind: str,
        name: str,
        namespace: str | None = None,
        condition: str = "Ready",
        timeout: float = 60,
    ) -> None:
        """Wait until ``condition`` is True on the object (``kubectl wait --for=condition=...``)."""
        self.wait_for(kind, name, namespace, f"condition={condition}", timeout)

    def wait_for(self, kind: str, name: str, namespace: str | None, for_: str, timeout: float = 60) -> None:
        """``kubectl wait --for=<for_>``: e.g. ``condition=Synced=False``, ``delete``, ``jsonpath=...``.

        Unlike plain kubectl wait it tolerates the object not existing yet, since the operator may
        create it moments after the test asks.
        """
        deadline = time.monotonic() + timeout
        while True:
            left = max(1.0, deadline - time.monotonic())
            res = self.kubectl(
                "wait",
                f"{kind}/{name}",
                *_ns(namespace),
                f"--for={for_}",
                f"--timeout={left:.0f}s",
                check=False,
                timeout=left + 30,
            )
            if res.returncode == 0:
                return
            not_found = "NotFound" in res.stderr or "not found" in res.stderr
            if not (not_found and time.monotonic() < deadline):
                obj = self.kubectl("get", kind, name, *_ns(namespace), "-o", "yaml", check=False)
                raise TimeoutError(
                    f"{kind}/{name} did not reach {for_} within {timeout:.0f} s: {res.stderr.strip()}\n"
                    f"current object:\n{obj.stdout or obj.stderr}"
                )
            time.sleep(0.5)

    def wait_deleted(self, kind: str, name: str, namespace: str | None = None, timeout: float = 60) -> None:
        res = self.kubectl(
            "wait",
            f"{kind}/{name}",
            *_ns(namespace),
            "--for=delete",
            f"--timeout={timeout:.0f}s",
            check=False,
            timeout=timeout + 30,
        )
        if res.returncode != 0 and "not found" not in res.stderr.lower():
            raise TimeoutError(f"{kind}/{name} still exists after {timeout:.0f} s: {res.stderr.strip()}")

    def create_namespace(self, name: str) -> str:
        """Create (or keep) a namespace; idempotent so reruns against a dev cluster work."""
        self.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
        return name

    def delete(
        self, kind: str, name: str, namespace: str | None = None, wait: bool = False, timeout: float = 60
    ) -> None:
        """Delete, ignoring a missing object.

        ``wait`` defaults to False: an object holding the operator's finalizer (or a namespace holding
        such objects) is gone only once the operator has acted, which a caller waits for when it matters.
        """
        self.kubectl(
            "delete",
            kind,
            name,
            *_ns(namespace),
            "--ignore-not-found",
            f"--wait={str(wait).lower()}",
            f"--timeout={timeout:.0f}s",
            timeout=timeout + 30,
        )


def _ns(namespace: str | None) -> list[str]:
    return ["--namespace", namespace] if namespace else []


def start_test_cluster(tmp_dir: Path) -> ClusterInfo:
    """The cluster for a test session: a reachable ``$KUBECONFIG``, else a private one in tmp_dir."""
    return up(tmp_dir)


def stop_test_cluster(info: ClusterInfo, tmp_dir: Path) -> None:
    """Stop what start_test_cluster started; someone else's cluster is left alone."""
    if not info.external:
        down(tmp_dir)


def open_test_cluster(tmp_dir: Path, crds: Path) -> Kube:
    """A cluster for a test session (private unless KUBECONFIG names one) with the CRDs installed."""
    kube = Kube(start_test_cluster(tmp_dir))
    kube.kubectl("apply", "-f", str(crds))
    kube.kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
    return kube


def condition(obj: dict[str, Any], ctype: str = "Ready") -> dict[str, Any]:
    """One condition of an object's status ({} when it has none yet)."""
    return next((c for c in obj.get("status", {}).get("conditions", []) if c["type"] == ctype), {})


def ready_names(kube: Kube, kind: str, namespace: str) -> set[str]:
    """Names of the objects of a kind in a namespace whose Ready condition is True."""
    items = json.loads(kube.kubectl("get", kind, "-n", namespace, "-o", "json").stdout)["items"]
    return {i["metadata"]["name"] for i in items if condition(i).get("status") == "True"}


def wait_ready_count(
    kube: Kube,
    kind: str,
    namespace: str,
    count: int,
    *,
    at_least: bool = False,
    timeout: float = 60.0,
    interval: float = 0.5,
) -> None:
    """Wait until exactly `count` objects of a kind in a namespace are Ready (`at_least`: `count` or more)."""

    def reached() -> bool:
        ready = len(ready_names(kube, kind, namespace))
        return ready >= count if at_least else ready == count

    what = f"{'at least ' if at_least else ''}{count} {kind} Ready in {namespace}"
    eventually(reached, timeout=timeout, interval=interval, what=what)
