"""Run Argo CD against the local control plane: redis, the repo-server and the application-controller
as processes on loopback, with Argo CD's CRDs and base config in namespace `argocd`.

What argocd-server would do at start-up (create the `default` AppProject) is done here; the health
checks come from the operator's shipped `manifests/argocd/argocd-cm-health.yaml`, merged into
`argocd-cm` with the `kubectl patch` docs/users/gitops.md gives users. There is no argocd-server, UI or API:
the Application objects are the interface (`kubectl get applications -n argocd`).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry_testbed.argocd.build import ArgoCD, ensure_argocd
from registry_testbed.localcluster.cluster import (
    ClusterInfo,
    _alive,
    _free_ports,
    _healthy,
    _locked,
    _Processes,
    _runs_binary,
    _stop,
)
from registry_testbed.progress import progress_log

ROOT = Path(__file__).resolve().parents[3]
HEALTH_CONFIG = ROOT / "manifests" / "argocd" / "argocd-cm-health.yaml"
NAMESPACE = "argocd"
READY_TIMEOUT = 120.0
# How often the controller re-reads git and re-compares every Application when nothing asks it to
# (Argo CD's default is 120 s plus jitter; a webhook or a refresh annotation acts at once).
APP_RESYNC_SECONDS = 30
STATE_FILE = "argocd.json"
COMPONENTS = ("application_controller", "repo_server", "redis")

DEFAULT_PROJECT = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "AppProject",
    "metadata": {"name": "default", "namespace": NAMESPACE},
    "spec": {
        "sourceRepos": ["*"],
        "destinations": [{"server": "*", "namespace": "*"}],
        "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
    },
}


@dataclass(frozen=True)
class ArgoCDInfo:
    namespace: str
    repo_server: str
    redis: str
    logs: Path


_log = progress_log("argocd")


def _missing_system_tools() -> list[str]:
    return [tool for tool in ("redis-server", "git") if shutil.which(tool) is None]


def _kubectl(info: ClusterInfo, *args: str, input: str | None = None) -> str:
    res = subprocess.run(
        [str(info.kubectl), "--kubeconfig", str(info.kubeconfig), *args],
        input=input,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if res.returncode != 0:
        raise RuntimeError(f"kubectl {' '.join(args)} failed: {res.stderr.strip()}")
    return res.stdout


def _manifests(directory: Path) -> list[Path]:
    """The manifests of a kustomize directory of Argo CD's (every file it lists is a plain manifest)."""
    return sorted(p for p in directory.glob("*.yaml") if p.name != "kustomization.yaml")


def _established(info: ClusterInfo, crd: str) -> bool:
    conditions = (
        json.loads(_kubectl(info, "get", "crd", crd, "-o", "json")).get("status", {}).get("conditions")
    )
    return any(c["type"] == "Established" and c["status"] == "True" for c in conditions or [])


def _wait_established(info: ClusterInfo, crds: tuple[str, ...], timeout: float = 60) -> None:
    # Not `kubectl wait`: it fails outright on a CRD created a moment ago that has no conditions yet.
    deadline = time.monotonic() + timeout
    for crd in crds:
        while not _established(info, crd):
            if time.monotonic() > deadline:
                raise RuntimeError(f"CRD {crd} not Established within {timeout:.0f} s")
            time.sleep(0.25)


def install(info: ClusterInfo, argo: ArgoCD) -> None:
    """Argo CD's CRDs and base config, the default project and the operator's health checks."""
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
    _kubectl(info, "apply", "-f", "-", input=json.dumps(namespace))
    # The Application CRD is larger than client-side apply's last-applied annotation allows.
    for path in _manifests(argo.crds):
        _kubectl(info, "apply", "--server-side", "--force-conflicts", "-f", str(path))
    _wait_established(info, ("applications.argoproj.io", "appprojects.argoproj.io"))
    for path in _manifests(argo.config):
        _kubectl(info, "apply", "-n", NAMESPACE, "-f", str(path))
    patch = ["patch", "configmap", "argocd-cm", "--type", "merge", "--patch-file", str(HEALTH_CONFIG)]
    _kubectl(info, "-n", NAMESPACE, *patch)
    _kubectl(info, "apply", "-f", "-", input=json.dumps(DEFAULT_PROJECT))


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _healthz(port: int) -> bool:
    return _healthy(f"http://127.0.0.1:{port}/healthz", healthy_body=lambda _: True)


def _state(state_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((state_dir / STATE_FILE).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _running(state: dict[str, Any]) -> bool:
    return all(
        (proc := state.get(name)) and _alive(proc["pid"]) and _runs_binary(proc["pid"], proc["binary"])
        for name in COMPONENTS
    )


def _info(state: dict[str, Any], state_dir: Path) -> ArgoCDInfo:
    ports = state["ports"]
    return ArgoCDInfo(
        namespace=NAMESPACE,
        repo_server=f"127.0.0.1:{ports['repo_server']}",
        redis=f"127.0.0.1:{ports['redis']}",
        logs=state_dir / "logs",
    )


def up(info: ClusterInfo, state_dir: Path) -> ArgoCDInfo:
    """Argo CD on the cluster of ``info``; its processes are recorded in ``state_dir``.

    Reuses running processes recorded there, else installs (idempotently) and starts them.
    """
    state_dir = Path(state_dir).absolute()
    missing = _missing_system_tools()
    if missing:
        raise RuntimeError(
            f"{' and '.join(missing)} not found: `make argocd-deps` installs them "
            "(tools/apt-install.sh redis-server git)"
        )
    argo = ensure_argocd()
    with _locked(state_dir):
        state = _state(state_dir)
        if state is not None:
            if _running(state) and state.get("kubeconfig") == str(info.kubeconfig):
                _log("already running")
                return _info(state, state_dir)
            _log("found stale Argo CD processes; replacing them")
            _down_locked(state_dir)
        return _start(info, argo, state_dir)


def _start(info: ClusterInfo, argo: ArgoCD, state_dir: Path) -> ArgoCDInfo:
    started = time.monotonic()
    install(info, argo)
    logs, home, redis_dir = state_dir / "logs", state_dir / "argocd-home", state_dir / "argocd-redis"
    for d in (logs, home, redis_dir):
        d.mkdir(parents=True, exist_ok=True)
    redis_port, repo_port, repo_metrics, controller_metrics, commit_port = _free_ports(5)
    redis = f"127.0.0.1:{redis_port}"
    repo_server = f"127.0.0.1:{repo_port}"
    state: dict[str, Any] = {
        "kubeconfig": str(info.kubeconfig),
        "ports": {"redis": redis_port, "repo_server": repo_port},
    }

    processes = _Processes(state_dir / STATE_FILE, state)
    env = dict(
        os.environ,
        KUBECONFIG=str(info.kubeconfig),
        # The `https://kubernetes.default.svc` destination is "this cluster": with this set, the
        # controller reaches it through KUBECONFIG instead of the in-pod service account.
        ARGOCD_FAKE_IN_CLUSTER="true",
        ARGOCD_GPG_ENABLED="false",
        # The repo-server execs git-verify-wrapper.sh and gpg-wrapper.sh by name.
        PATH=f"{argo.path_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        # git and Argo CD keep per-user files under HOME; keep them out of the user's own.
        HOME=str(home),
    )
    binary = str(argo.binary.resolve())
    redis_bin = shutil.which("redis-server")
    assert redis_bin is not None
    with processes.starting(started, lambda: _down_locked(state_dir), _log):
        processes.start(
            "redis",
            "redis-server",
            [redis_bin, "--bind", "127.0.0.1", "--port", str(redis_port), "--save", "", "--appendonly", "no",
             "--dir", str(redis_dir)],
            logs / "argocd-redis.log",
            Path(redis_bin).resolve(),
            lambda: _listening(redis_port),
            READY_TIMEOUT,
        )  # fmt: skip
        processes.start(
            "repo_server",
            "argocd-repo-server",
            [
                str(argo.component("argocd-repo-server")),
                "--address", "127.0.0.1", "--port", str(repo_port),
                # Plaintext gRPC on loopback; without the empty CA path it refuses --disable-tls.
                "--disable-tls", "--client-ca-path", "",
                "--metrics-address", "127.0.0.1", "--metrics-port", str(repo_metrics),
                "--redis", redis, "--logformat", "text",
            ],
            logs / "argocd-repo-server.log",
            binary,
            lambda: _healthz(repo_metrics),
            READY_TIMEOUT,
            env,
        )  # fmt: skip
        processes.start(
            "application_controller",
            "argocd-application-controller",
            [
                str(argo.component("argocd-application-controller")),
                "--kubeconfig", str(info.kubeconfig), "--namespace", NAMESPACE,
                "--repo-server", repo_server, "--repo-server-plaintext",
                "--redis", redis,
                "--metrics-port", str(controller_metrics),
                # No commit server runs (the source hydrator is off); a free port keeps the default
                # address from pointing at something else.
                "--commit-server", f"127.0.0.1:{commit_port}",
                "--app-resync", str(APP_RESYNC_SECONDS),
                # Each resource's health (with the message of the operator's health check) in the
                # Application object, where kubectl shows it; otherwise only argocd-server's UI and API
                # have it (argocd-cmd-params-cm `controller.resource.health.persist`, off by default).
                "--persist-resource-health",
                "--logformat", "text",
            ],
            logs / "argocd-application-controller.log",
            binary,
            lambda: _healthz(controller_metrics),
            READY_TIMEOUT,
            env,
        )  # fmt: skip
    version = argo.home.name.removeprefix("argocd-v")
    _log(f"Argo CD v{version} up in {state['startup_seconds']:.1f} s (logs: {logs}/argocd-*.log)")
    return _info(state, state_dir)


def down(state_dir: Path) -> None:
    """Stop the Argo CD processes recorded in ``state_dir``. Safe when none run."""
    state_dir = Path(state_dir).absolute()
    if not (state_dir / STATE_FILE).exists():
        return
    with _locked(state_dir):
        _down_locked(state_dir)


def _down_locked(state_dir: Path) -> None:
    state = _state(state_dir)
    if state is None:
        return
    for name in COMPONENTS:  # the controller first: it is the repo-server's and redis's client
        proc = state.get(name)
        if proc:
            _stop(proc["pid"], proc["binary"], name)
    (state_dir / STATE_FILE).unlink(missing_ok=True)
    shutil.rmtree(state_dir / "argocd-redis", ignore_errors=True)
    _log("stopped the application-controller, repo-server and redis")
