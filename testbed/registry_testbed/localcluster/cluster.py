"""Start and stop a throwaway control plane (etcd, kube-apiserver, kube-controller-manager) on loopback.

The controller-manager runs only the controllers that act on API objects alone: namespace deletion,
ownerReference garbage collection, the ``default`` ServiceAccount of each namespace and the tokens of
ServiceAccount token Secrets. There is no scheduler or kubelet, so no pod ever runs: the operator runs
outside the cluster and only needs the API.

If ``KUBECONFIG`` names a reachable cluster, ``up`` uses that instead and starts nothing.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry_testbed.localcluster.build import Binaries, binaries, ensure_binaries
from registry_testbed.progress import progress_log

APISERVER_READY_TIMEOUT = 120.0
ETCD_READY_TIMEOUT = 30.0
CONTROLLER_MANAGER_READY_TIMEOUT = 60.0
# Controllers that need no nodes or pods. Namespace deletion and garbage collection are what users and
# tests notice missing (a deleted namespace otherwise stays Terminating forever). ClusterRole aggregation
# fills the built-in view/edit/admin roles from labelled ClusterRoles, and the ValidatingAdmissionPolicy
# status controller type-checks policies against the schemas they match (status.typeChecking), as in any
# cluster: the approval-policy component relies on both.
CONTROLLERS = (
    "namespace-controller",
    "garbage-collector-controller",
    "serviceaccount-controller",
    "serviceaccount-token-controller",
    "clusterrole-aggregation-controller",
    "validatingadmissionpolicy-status-controller",
)
STOP_GRACE_SECONDS = 5.0
SERVICE_CLUSTER_IP_RANGE = "10.96.0.0/24"
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"

# Only writes are audited: a benchmark counts API-server writes from this log, and logging reads
# (watches, list polling) would dwarf them and cost start-up time for nothing.
AUDIT_POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
    verbs: ["create", "update", "patch", "delete", "deletecollection"]
  - level: None
"""


@dataclass(frozen=True)
class ClusterInfo:
    kubeconfig: Path
    kubectl: Path
    server: str
    external: bool


_log = progress_log("cluster")


def kubectl_path() -> Path:
    """The cached kubectl matching the local kube-apiserver version (built on first use)."""
    return ensure_binaries().kubectl


# --------------------------------------------------------------------------- external clusters


def probe_kubeconfig(kubeconfig: str, timeout: float = 5.0) -> tuple[bool, str]:
    """Whether the current context of ``kubeconfig`` answers an authenticated GET /api.

    Returns ``(reachable, server-or-reason)``. The Python client is used rather than kubectl so the
    check needs no built binaries, and it understands the same auth methods (tokens, client certs,
    exec plugins) and ``:``-separated kubeconfig lists. /api rather than /version or /readyz: those
    are open to anonymous users, so bad credentials would pass.
    """
    from kubernetes import client, config

    cfg = client.Configuration()
    try:
        config.load_kube_config(config_file=kubeconfig, client_configuration=cfg, persist_config=False)
    except Exception as exc:  # a missing or malformed file is simply "not usable"
        return False, f"cannot load it ({exc})"
    # urllib3 otherwise retries 3 times, turning a dead server into a multi-timeout stall.
    cfg.retries = 0
    # kubernetes 36.0.0's loader stores the token under "authorization" while its request code
    # only sends "BearerToken" (kubernetes-client/python#2582, fixed in 36.0.2): bridge the two.
    if "authorization" in cfg.api_key and "BearerToken" not in cfg.api_key:
        cfg.api_key["BearerToken"] = cfg.api_key["authorization"]
    try:
        with client.ApiClient(cfg) as api:
            client.CoreApi(api).get_api_versions(_request_timeout=timeout)
    except client.ApiException as exc:
        return False, f"{cfg.host} answered {exc.status} {exc.reason}"
    except Exception as exc:
        return False, f"{cfg.host} not reachable ({type(exc).__name__})"
    return True, cfg.host


def _external_kubectl() -> Path:
    """A kubectl for someone else's cluster: the cached one, else PATH, else build it."""
    cached = binaries().kubectl
    if cached.exists():
        return cached
    on_path = shutil.which("kubectl")
    return Path(on_path) if on_path else kubectl_path()


def _external_info(kubeconfig: str, server: str, state_dir: Path) -> ClusterInfo:
    kubectl = _external_kubectl()
    paths = [p for p in kubeconfig.split(os.pathsep) if p]
    if len(paths) == 1:
        path = Path(paths[0]).expanduser().resolve()
    else:
        # kubectl's --kubeconfig takes one file; flatten the merged view so callers can pass it.
        state_dir.mkdir(parents=True, exist_ok=True)
        path = state_dir / "external-kubeconfig"
        flat = subprocess.run(
            [str(kubectl), "config", "view", "--flatten", "--raw"],
            check=True,
            capture_output=True,
            text=True,
            env=dict(os.environ, KUBECONFIG=kubeconfig),
        )
        _write_private(path, flat.stdout)
    return ClusterInfo(kubeconfig=path, kubectl=kubectl, server=server, external=True)


# --------------------------------------------------------------------------- processes


def _read_state(state_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((state_dir / "cluster.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def _alive(pid: int) -> bool:
    # Reap our own children first: a killed child that is not waited for stays a zombie, which
    # kill(pid, 0) still reports as existing.
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _runs_binary(pid: int, binary: str) -> bool:
    """Guard against pid reuse: only signal a pid that still runs the binary we started."""
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
        return exe.removesuffix(" (deleted)") == binary
    except FileNotFoundError:
        pass  # no /proc (macOS): fall back to ps
    except OSError:
        return False
    out = subprocess.run(["ps", "-o", "comm=", "-p", str(pid)], capture_output=True, text=True).stdout
    return out.strip() != "" and Path(out.strip()).name == Path(binary).name


def _stop(pid: int, binary: str, name: str) -> None:
    if not _alive(pid) or not _runs_binary(pid, binary):
        return
    # Each process leads its own session (start_new_session), so its group is exactly itself plus
    # anything it forked.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.1)
    _log(f"{name} (pid {pid}) ignored SIGTERM for {STOP_GRACE_SECONDS:.0f} s; killing it")
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def _spawn(args: list[str], log_path: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        return subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            env=env,
        )


def _tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def _free_ports(count: int) -> list[int]:
    # All sockets stay open until every port is chosen so the ports are distinct.
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


@contextlib.contextmanager
def _locked(state_dir: Path) -> Iterator[None]:
    """Serialise up/down on one state dir (e.g. two test sessions sharing .local)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    with (state_dir / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


# --------------------------------------------------------------------------- readiness


def _http_get(url: str, token: str | None = None, timeout: float = 2.0) -> tuple[int, str]:
    req = urllib.request.Request(url)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    # The serving cert is self-signed and only appears once the apiserver has started; this is a
    # loopback health probe, so verification adds nothing.
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=ctx) as resp:
            return resp.status, resp.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def _says_ok(body: str) -> bool:
    return body.strip() == "ok"


def _healthy(url: str, token: str | None = None, healthy_body: Callable[[str], bool] = _says_ok) -> bool:
    """Whether a health endpoint answers 200 with a body `healthy_body` accepts; False while it does not
    answer at all."""
    try:
        status, body = _http_get(url, token)
    except (OSError, urllib.error.URLError):
        return False
    return status == 200 and healthy_body(body)


def _apiserver_ready(server: str, token: str) -> bool:
    return _healthy(f"{server}/readyz", token)


def _controller_manager_ready(url: str) -> bool:
    # /healthz is always allowed anonymously; it reports ok once every enabled controller has started.
    return _healthy(f"{url}/healthz")


def _etcd_ready(client_url: str) -> bool:
    return _healthy(
        f"{client_url}/health", healthy_body=lambda body: json.loads(body).get("health") == "true"
    )


class StartupError(RuntimeError):
    pass


def _wait(
    name: str, proc: subprocess.Popen[bytes], ready: Any, timeout: float, log_path: Path, explain: Any = None
) -> float:
    started = time.monotonic()
    while True:
        if ready():
            return time.monotonic() - started
        if proc.poll() is not None:
            raise StartupError(
                f"{name} exited with code {proc.returncode} during start-up; "
                f"last lines of {log_path}:\n{_tail(log_path)}"
            )
        if time.monotonic() - started > timeout:
            detail = f"\n{explain()}" if explain else ""
            raise StartupError(
                f"{name} not ready after {timeout:.0f} s{detail}\n"
                f"last lines of {log_path}:\n{_tail(log_path)}"
            )
        time.sleep(0.25)


class _Processes:
    """The processes one start-up runs, kept in a state file: each is recorded as soon as it is spawned,
    before it is waited for, so that down() can stop it even when its start-up fails."""

    def __init__(self, path: Path, state: dict[str, Any]) -> None:
        self.path, self.state = path, state

    def save(self) -> None:
        _write_private(self.path, json.dumps(self.state, indent=2) + "\n")

    def start(
        self,
        key: str,
        name: str,
        args: list[str],
        log_path: Path,
        binary: Path | str,
        ready: Callable[[], bool],
        timeout: float,
        env: dict[str, str] | None = None,
        explain: Any = None,
    ) -> tuple[subprocess.Popen[bytes], float]:
        """Spawn `args` as the state's `key`, record it, and wait until `ready`; returns the process and
        the seconds it took to be ready."""
        proc = _spawn(args, log_path, env)
        self.state[key] = {"pid": proc.pid, "binary": str(binary)}
        self.save()
        return proc, _wait(name, proc, ready, timeout, log_path, explain)

    @contextlib.contextmanager
    def starting(
        self, started: float, stop_all: Callable[[], None], log: Callable[[str], None]
    ) -> Iterator[None]:
        """The start-up as a whole: when it fails (or is interrupted), everything recorded so far is
        stopped; when it succeeds, the seconds since `started` are recorded as startup_seconds."""
        try:
            yield
        except BaseException:
            log("start-up failed; stopping what was started")
            stop_all()
            raise
        self.state["startup_seconds"] = round(time.monotonic() - started, 2)
        self.save()


def _readyz_failures(server: str, token: str) -> str:
    try:
        _, body = _http_get(f"{server}/readyz?verbose", token)
    except (OSError, urllib.error.URLError) as exc:
        return f"/readyz not answering: {exc}"
    failing = [line for line in body.splitlines() if line.startswith("[-]")]
    return "failing readiness checks:\n" + "\n".join(failing) if failing else body


# --------------------------------------------------------------------------- up / down


def _kubeconfig(server: str, token: str, ca_pem: bytes | None) -> str:
    cluster: dict[str, Any] = {"server": server}
    if ca_pem:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    else:
        cluster["insecure-skip-tls-verify"] = True
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "local", "cluster": cluster}],
        "users": [{"name": "admin", "user": {"token": token}}],
        "contexts": [
            {"name": "local", "context": {"cluster": "local", "user": "admin", "namespace": "default"}}
        ],
        "current-context": "local",
    }
    return json.dumps(doc, indent=2) + "\n"  # JSON is valid YAML; kubectl and client libraries read it


def _healthy_info(state_dir: Path, state: dict[str, Any]) -> ClusterInfo | None:
    for name in ("etcd", "apiserver", "controller_manager"):
        proc = state.get(name)
        if not (proc and _alive(proc["pid"]) and _runs_binary(proc["pid"], proc["binary"])):
            return None
    try:
        token = (state_dir / "admin-token").read_text().strip()
    except OSError:
        return None
    if not (state_dir / "kubeconfig").exists() or not _apiserver_ready(state["server"], token):
        return None
    return ClusterInfo(
        kubeconfig=state_dir / "kubeconfig",
        kubectl=Path(state["kubectl"]),
        server=state["server"],
        external=False,
    )


def _is_own_kubeconfig(kubeconfig: str, state_dir: Path) -> bool:
    own = (state_dir / "kubeconfig").resolve()
    return any(Path(p).expanduser().resolve() == own for p in kubeconfig.split(os.pathsep) if p)


def up(state_dir: Path) -> ClusterInfo:
    """Return a usable cluster: ``$KUBECONFIG`` if reachable, else a local one in ``state_dir``."""
    state_dir = Path(state_dir).absolute()
    env_kubeconfig = os.environ.get("KUBECONFIG", "")
    if env_kubeconfig and not _is_own_kubeconfig(env_kubeconfig, state_dir):
        reachable, detail = probe_kubeconfig(env_kubeconfig)
        if reachable:
            _log(f"using the cluster from KUBECONFIG={env_kubeconfig} ({detail}); starting nothing")
            return _external_info(env_kubeconfig, detail, state_dir)
        _log(f"KUBECONFIG={env_kubeconfig} is not usable: {detail}; starting a local cluster instead")

    with _locked(state_dir):
        state = _read_state(state_dir)
        if state is not None:
            info = _healthy_info(state_dir, state)
            if info is not None:
                _log(f"already up at {info.server}")
                return info
            _log("found a stale or unhealthy local cluster; replacing it")
            _down_locked(state_dir)
        return _start(state_dir)


def _start(state_dir: Path) -> ClusterInfo:
    bins = ensure_binaries()
    started = time.monotonic()
    certs, data, logs = state_dir / "certs", state_dir / "etcd-data", state_dir / "logs"
    for d in (certs / "controller-manager", data, logs):
        d.mkdir(parents=True, exist_ok=True)
    data.chmod(0o700)  # etcd warns about anything wider
    (logs / "audit.log").unlink(missing_ok=True)  # a benchmark counts writes per run

    sa_key, sa_pub = certs / "sa.key", certs / "sa.pub"
    subprocess.run(["openssl", "genrsa", "-out", str(sa_key), "2048"], check=True, capture_output=True)
    subprocess.run(
        ["openssl", "rsa", "-in", str(sa_key), "-pubout", "-out", str(sa_pub)],
        check=True,
        capture_output=True,
    )
    token = secrets.token_urlsafe(32)
    _write_private(state_dir / "admin-token", token + "\n")
    _write_private(certs / "tokens.csv", f'{token},admin,admin,"system:masters"\n')
    (certs / "audit-policy.yaml").write_text(AUDIT_POLICY)

    etcd_port, peer_port, api_port, kcm_port = _free_ports(4)
    etcd_url = f"http://127.0.0.1:{etcd_port}"
    peer_url = f"http://127.0.0.1:{peer_port}"
    server = f"https://127.0.0.1:{api_port}"
    state: dict[str, Any] = {
        "server": server,
        "kubectl": str(bins.kubectl),
        "ports": {
            "etcd": etcd_port,
            "etcd_peer": peer_port,
            "apiserver": api_port,
            "controller_manager": kcm_port,
        },
    }

    processes = _Processes(state_dir / "cluster.json", state)
    with processes.starting(started, lambda: _down_locked(state_dir), _log):
        _, took = processes.start(
            "etcd",
            "etcd",
            [
                str(bins.etcd),
                "--name=local",
                f"--data-dir={data}",
                f"--listen-client-urls={etcd_url}",
                f"--advertise-client-urls={etcd_url}",
                f"--listen-peer-urls={peer_url}",
                f"--initial-advertise-peer-urls={peer_url}",
                f"--initial-cluster=local={peer_url}",
                # A throwaway dev cluster: losing data on a host crash is fine, fsync latency is not.
                "--unsafe-no-fsync",
                "--quota-backend-bytes=2147483648",
                "--log-level=warn",
            ],
            logs / "etcd.log",
            bins.etcd.resolve(),
            lambda: _etcd_ready(etcd_url),
            ETCD_READY_TIMEOUT,
        )
        _log(f"etcd ready on {etcd_url} in {took:.1f} s")

        api_log = logs / "kube-apiserver.log"
        api, took = processes.start(
            "apiserver",
            "kube-apiserver",
            _apiserver_args(bins, etcd_url, api_port, certs, logs),
            api_log,
            bins.kube_apiserver.resolve(),
            lambda: _apiserver_ready(server, token),
            APISERVER_READY_TIMEOUT,
            explain=lambda: _readyz_failures(server, token),
        )
        state["apiserver_ready_seconds"] = round(took, 2)
        _log(f"kube-apiserver ready on {server} in {took:.1f} s")

        kubeconfig = state_dir / "kubeconfig"
        _write_private(kubeconfig, _kubeconfig(server, token, _serving_ca(certs, api_port)))
        _wait_default_namespace(bins.kubectl, kubeconfig, api, api_log)

        _, took = processes.start(
            "controller_manager",
            "kube-controller-manager",
            _controller_manager_args(bins, kubeconfig, kcm_port, state_dir),
            logs / "kube-controller-manager.log",
            bins.kube_controller_manager.resolve(),
            lambda: _controller_manager_ready(f"https://127.0.0.1:{kcm_port}"),
            CONTROLLER_MANAGER_READY_TIMEOUT,
        )
        state["controller_manager_ready_seconds"] = round(took, 2)
        _log(f"kube-controller-manager ready in {took:.1f} s")
    _log(f"cluster up in {state['startup_seconds']:.1f} s; kubeconfig {kubeconfig}")
    return ClusterInfo(kubeconfig=kubeconfig, kubectl=bins.kubectl, server=server, external=False)


def _apiserver_args(bins: Binaries, etcd_url: str, port: int, certs: Path, logs: Path) -> list[str]:
    return [
        str(bins.kube_apiserver),
        f"--etcd-servers={etcd_url}",
        f"--secure-port={port}",
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        f"--cert-dir={certs}",  # the apiserver writes a self-signed serving cert and CA here
        f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
        f"--service-account-key-file={certs / 'sa.pub'}",
        f"--service-account-signing-key-file={certs / 'sa.key'}",
        f"--token-auth-file={certs / 'tokens.csv'}",
        "--authorization-mode=RBAC",
        f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
        # No pod ever runs here; the plugin would only reject objects created in a new namespace
        # before the controller-manager has made its `default` ServiceAccount.
        "--disable-admission-plugins=ServiceAccount",
        # The lease reconciler keeps logging that a loopback address is not a valid endpoint for
        # the `kubernetes` Service; nothing in-cluster needs that Service here.
        "--endpoint-reconciler-type=none",
        f"--audit-policy-file={certs / 'audit-policy.yaml'}",
        f"--audit-log-path={logs / 'audit.log'}",
        "--audit-log-maxbackup=0",
        "--audit-log-maxsize=0",
        "--profiling=false",
    ]


def _controller_manager_args(bins: Binaries, kubeconfig: Path, port: int, state_dir: Path) -> list[str]:
    return [
        str(bins.kube_controller_manager),
        f"--kubeconfig={kubeconfig}",
        f"--secure-port={port}",
        "--bind-address=127.0.0.1",
        f"--cert-dir={state_dir / 'certs' / 'controller-manager'}",
        # One instance on a throwaway cluster: a lease would only delay the start by its acquisition.
        "--leader-elect=false",
        f"--controllers={','.join(CONTROLLERS)}",
        # The admin kubeconfig for every controller: there is no separate identity to audit here.
        "--use-service-account-credentials=false",
        # The key the apiserver signs ServiceAccount tokens with, for the token controller.
        f"--service-account-private-key-file={state_dir / 'certs' / 'sa.key'}",
        "--profiling=false",
    ]


def _serving_ca(certs: Path, port: int) -> bytes | None:
    """The apiserver's self-signed serving cert bundle, if clients can verify the server with it.

    Verifying TLS matters for clients that ignore ``insecure-skip-tls-verify`` or warn about it;
    if the generated cert does not cover 127.0.0.1 the kubeconfig falls back to skipping verification.
    """
    try:
        pem = (certs / "apiserver.crt").read_bytes()
        ctx = ssl.create_default_context(cadata=pem.decode())
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as sock,
            ctx.wrap_socket(sock, server_hostname="127.0.0.1"),
        ):
            pass
    except (OSError, ssl.SSLError, ValueError) as exc:
        _log(f"the generated serving cert does not verify ({exc}); kubeconfig skips TLS verification")
        return None
    return pem


def _wait_default_namespace(
    kubectl: Path, kubeconfig: Path, proc: subprocess.Popen[bytes], log_path: Path, timeout: float = 30.0
) -> None:
    # /readyz can be ok a moment before the bootstrap controller has created `default`.
    def ready() -> bool:
        res = subprocess.run(
            [
                str(kubectl),
                "--kubeconfig",
                str(kubeconfig),
                "get",
                "namespace",
                "default",
                "-o",
                "name",
                "--request-timeout=5s",
            ],
            capture_output=True,
            text=True,
        )
        return res.returncode == 0

    _wait("namespace default", proc, ready, timeout, log_path)


def down(state_dir: Path) -> None:
    """Stop the local cluster recorded in ``state_dir`` and remove its data. Safe when nothing is up."""
    state_dir = Path(state_dir).absolute()
    if not state_dir.exists():
        _log(f"nothing to stop in {state_dir}")
        return
    with _locked(state_dir):
        _down_locked(state_dir)


def restart_apiserver(state_dir: Path, downtime: float = 0.0) -> float:
    """Stop kube-apiserver (watches break, requests fail), wait `downtime`, start it again on the same
    port and etcd; returns the seconds until it was ready. For tests of how clients recover."""
    state_dir = Path(state_dir).absolute()
    with _locked(state_dir):
        state = _read_state(state_dir)
        if state is None or "apiserver" not in state:
            raise RuntimeError(f"no local cluster recorded in {state_dir}")
        _stop(state["apiserver"]["pid"], state["apiserver"]["binary"], "apiserver")
        time.sleep(downtime)
        bins = ensure_binaries()
        certs, logs = state_dir / "certs", state_dir / "logs"
        etcd_url = f"http://127.0.0.1:{state['ports']['etcd']}"
        token = (state_dir / "admin-token").read_text().strip()
        _, took = _Processes(state_dir / "cluster.json", state).start(
            "apiserver",
            "kube-apiserver",
            _apiserver_args(bins, etcd_url, state["ports"]["apiserver"], certs, logs),
            logs / "kube-apiserver.log",
            bins.kube_apiserver.resolve(),
            lambda: _apiserver_ready(state["server"], token),
            APISERVER_READY_TIMEOUT,
            explain=lambda: _readyz_failures(state["server"], token),
        )
        _log(f"kube-apiserver restarted, ready in {took:.1f} s")
        return took


def _down_locked(state_dir: Path) -> None:
    state = _read_state(state_dir)
    if state is None:
        _log(f"no local cluster recorded in {state_dir}")
    else:
        # Clients of the apiserver first, then the apiserver, so none spends its shutdown retrying a
        # vanished server.
        for name in ("controller_manager", "apiserver", "etcd"):
            proc = state.get(name)
            if proc:
                _stop(proc["pid"], proc["binary"], name)
        _log("stopped kube-controller-manager, kube-apiserver and etcd")
    for d in ("etcd-data", "certs"):
        shutil.rmtree(state_dir / d, ignore_errors=True)
    for f in ("cluster.json", "kubeconfig", "admin-token", "external-kubeconfig"):
        (state_dir / f).unlink(missing_ok=True)
    # logs/ is kept on purpose: it is how a failed start or a flaky test gets diagnosed.
