"""Build kube-apiserver, kube-controller-manager, kubectl and etcd from their published Go modules.

No prebuilt binaries can be downloaded on the machines this project targets, so
the local control plane is compiled once per version and cached outside the
repository (``$REGISTRY_OPERATOR_CACHE`` or ``~/.cache/registry-operator``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from registry_testbed.progress import progress_log

KUBE_VERSION = os.environ.get("KUBE_VERSION", "1.36.3")
ETCD_VERSION = os.environ.get("ETCD_VERSION", "3.6.16")


def cache_root() -> Path:
    root = os.environ.get("REGISTRY_OPERATOR_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "registry-operator"


@dataclass(frozen=True)
class Binaries:
    kube_apiserver: Path
    kube_controller_manager: Path
    kubectl: Path
    etcd: Path


def binaries(kube_version: str = KUBE_VERSION, etcd_version: str = ETCD_VERSION) -> Binaries:
    kube_dir = cache_root() / "bin" / f"kubernetes-v{kube_version}"
    etcd_dir = cache_root() / "bin" / f"etcd-v{etcd_version}"
    return Binaries(
        kube_apiserver=kube_dir / "kube-apiserver",
        kube_controller_manager=kube_dir / "kube-controller-manager",
        kubectl=kube_dir / "kubectl",
        etcd=etcd_dir / "etcd",
    )


_log = progress_log("control-plane build")


def _go(args: list[str], cwd: Path, what: str, env: dict[str, str] | None = None) -> None:
    """Run a go command, printing elapsed time every 30 s so a long first build is visibly alive."""
    env = dict(os.environ, GOFLAGS="-mod=mod", CGO_ENABLED="0", **(env or {}))
    started = time.monotonic()
    proc = subprocess.Popen(
        ["go", *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    done = threading.Event()

    def heartbeat() -> None:
        while not done.wait(30):
            _log(f"{what}: still building, {time.monotonic() - started:.0f} s elapsed")

    threading.Thread(target=heartbeat, daemon=True).start()
    output, _ = proc.communicate()
    done.set()
    if proc.returncode != 0:
        sys.stderr.write(output)
        raise RuntimeError(f"{what} failed: go {' '.join(args)} exited {proc.returncode}")
    _log(f"{what}: done in {time.monotonic() - started:.0f} s")


def _module_dir(module: str, version: str, cwd: Path, env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ, GOFLAGS="-mod=mod", **(env or {}))
    out = subprocess.run(
        ["go", "mod", "download", "-json", f"{module}@{version}"],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return Path(json.loads(out)["Dir"])


def _staging_modules(kubernetes_dir: Path) -> list[str]:
    """The k8s.io/* modules that k8s.io/kubernetes replaces with its staging tree.

    Those replace directives are ignored when k8s.io/kubernetes is a dependency, so each one
    is pointed at its published v0.x.y twin instead.
    """
    modules = []
    for line in (kubernetes_dir / "go.mod").read_text().splitlines():
        line = line.strip()
        if "=> ./staging/src/" in line:
            modules.append(line.split()[0])
    return modules


KUBE_COMMANDS = ("kube-apiserver", "kube-controller-manager", "kubectl")


def build_kubernetes(version: str, out_dir: Path, commands: tuple[str, ...] = KUBE_COMMANDS) -> None:
    """Build ``commands`` of k8s.io/kubernetes into ``out_dir`` (one module: they share the build cache)."""
    work = cache_root() / "build" / f"kubernetes-v{version}"
    work.mkdir(parents=True, exist_ok=True)
    (work / "go.mod").write_text("module localcontrolplane/kubernetes\n\ngo 1.26\n")
    _log(f"resolving k8s.io/kubernetes v{version} and its staging modules")
    kdir = _module_dir("k8s.io/kubernetes", f"v{version}", work)
    staging_version = "v0." + version.split(".", 1)[1]
    replaces = "\n".join(f"\t{m} => {m} {staging_version}" for m in _staging_modules(kdir))
    (work / "go.mod").write_text(
        "module localcontrolplane/kubernetes\n\ngo 1.26\n\n"
        f"require k8s.io/kubernetes v{version}\n\nreplace (\n{replaces}\n)\n"
    )
    major, minor, _ = version.split(".")
    ldflags = " ".join(
        f"-X {pkg}.{k}={v}"
        for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version")
        for k, v in (
            ("gitVersion", f"v{version}"),
            ("gitMajor", major),
            ("gitMinor", minor),
            ("gitTreeState", "clean"),
        )
    )
    _go(
        ["get", *(f"k8s.io/kubernetes/cmd/{cmd}@v{version}" for cmd in KUBE_COMMANDS)],
        work,
        "go get k8s.io/kubernetes",
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    for cmd in commands:
        tmp = out_dir / f".{cmd}.tmp"
        _go(
            [
                "build",
                "-trimpath",
                "-ldflags",
                f"-s -w {ldflags}",
                "-o",
                str(tmp),
                f"k8s.io/kubernetes/cmd/{cmd}",
            ],
            work,
            f"build {cmd} v{version}",
        )
        tmp.rename(out_dir / cmd)


def build_etcd(version: str, out_dir: Path) -> None:
    work = cache_root() / "build" / f"etcd-v{version}"
    work.mkdir(parents=True, exist_ok=True)
    # etcd's own go.mod replaces its sibling modules with relative paths, which only work
    # inside its repository; as a dependency the published versions it requires are used.
    (work / "go.mod").write_text(
        f"module localcontrolplane/etcd\n\ngo 1.26\n\nrequire go.etcd.io/etcd/server/v3 v{version}\n"
    )
    _go(["get", f"go.etcd.io/etcd/server/v3@v{version}"], work, "go get etcd")
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / ".etcd.tmp"
    _go(
        ["build", "-trimpath", "-ldflags", "-s -w", "-o", str(tmp), "go.etcd.io/etcd/server/v3"],
        work,
        f"build etcd v{version}",
    )
    tmp.rename(out_dir / "etcd")


def ensure_binaries(kube_version: str = KUBE_VERSION, etcd_version: str = ETCD_VERSION) -> Binaries:
    """Return the cached binaries, building whichever is missing."""
    if shutil.which("go") is None:
        raise RuntimeError("the Go toolchain is needed to build the local control plane (go not on PATH)")
    b = binaries(kube_version, etcd_version)
    if not b.etcd.exists():
        _log(f"building etcd v{etcd_version} (first use; about 1 minute)")
        build_etcd(etcd_version, b.etcd.parent)
    missing = tuple(cmd for cmd in KUBE_COMMANDS if not (b.kube_apiserver.parent / cmd).exists())
    if missing:
        # kube-controller-manager alone, beside an existing kube-apiserver, reuses most of the build cache.
        _log(f"building {', '.join(missing)} v{kube_version} (first use; 10-15 minutes on 2 cores)")
        build_kubernetes(kube_version, b.kube_apiserver.parent, missing)
    return b


if __name__ == "__main__":
    found = ensure_binaries()
    print(found)
