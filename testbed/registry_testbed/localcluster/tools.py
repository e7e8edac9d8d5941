"""Build the test tools `helm` and `kstatus` from Go modules, cached beside the control plane.

- `helm` from `helm.sh/helm/v3` at a pinned version: renders the chart for the dry-run tests.
- `kstatus`: the small program in `tools/kstatus/` over `sigs.k8s.io/cli-utils/pkg/kstatus` (the
  library Flux computes health with); the tests feed it objects the operator produced.

Both land in `$REGISTRY_OPERATOR_CACHE/bin` (default `~/.cache/registry-operator/bin`), built on
first use only (helm: about 3 minutes on 2 cores; kstatus: about 20 seconds).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from registry_testbed.localcluster.build import _go, _log, cache_root

HELM_VERSION = os.environ.get("HELM_VERSION", "3.22.0")
KSTATUS_SOURCE = Path(__file__).resolve().parents[3] / "tools" / "kstatus"


@dataclass(frozen=True)
class Tools:
    helm: Path
    kstatus: Path


def _kstatus_key() -> str:
    """The cache key of the kstatus build: the cli-utils version and a hash of the source."""
    digest = hashlib.sha256()
    version = "unknown"
    for name in ("go.mod", "go.sum", "main.go"):
        text = (KSTATUS_SOURCE / name).read_text()
        digest.update(text.encode())
        if name == "go.mod":
            for line in text.splitlines():
                if line.strip().startswith("sigs.k8s.io/cli-utils "):
                    version = line.split()[1]
    return f"kstatus-cli-utils-{version}-{digest.hexdigest()[:10]}"


def tools(helm_version: str = HELM_VERSION) -> Tools:
    bin_dir = cache_root() / "bin"
    return Tools(
        helm=bin_dir / f"helm-v{helm_version}" / "helm",
        kstatus=bin_dir / _kstatus_key() / "kstatus",
    )


def build_helm(version: str, out: Path) -> None:
    work = cache_root() / "build" / f"helm-v{version}"
    work.mkdir(parents=True, exist_ok=True)
    (work / "go.mod").write_text(f"module localtools/helm\n\ngo 1.26\n\nrequire helm.sh/helm/v3 v{version}\n")
    _go(["get", f"helm.sh/helm/v3/cmd/helm@v{version}"], work, "go get helm.sh/helm/v3")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / ".helm.tmp"
    # As helm's own Makefile does: the default Kubernetes version of `helm template` is the one of
    # the client-go it was built with (otherwise 1.20, which the chart's kubeVersion refuses).
    client_go = next(
        line.split()[1]
        for line in (work / "go.mod").read_text().splitlines()
        if line.strip().startswith("k8s.io/client-go ")
    )
    minor = client_go.lstrip("v").split(".")[1]
    ldflags = " ".join(
        [
            "-s -w",
            f"-X helm.sh/helm/v3/internal/version.version=v{version}",
            "-X helm.sh/helm/v3/internal/version.gitTreeState=clean",
            *(f"-X helm.sh/helm/v3/pkg/{pkg}.k8sVersionMajor=1" for pkg in ("lint/rules", "chartutil")),
            *(f"-X helm.sh/helm/v3/pkg/{pkg}.k8sVersionMinor={minor}" for pkg in ("lint/rules", "chartutil")),
        ]
    )
    _go(
        ["build", "-trimpath", "-ldflags", ldflags, "-o", str(tmp), "helm.sh/helm/v3/cmd/helm"],
        work,
        f"build helm v{version}",
    )
    tmp.rename(out)


def build_kstatus(out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / ".kstatus.tmp"
    _go(["build", "-trimpath", "-ldflags", "-s -w", "-o", str(tmp), "."], KSTATUS_SOURCE, "build kstatus")
    tmp.rename(out)


def ensure_tools(helm_version: str = HELM_VERSION) -> Tools:
    """Return the cached tools, building whichever is missing."""
    if shutil.which("go") is None:
        raise RuntimeError("the Go toolchain is needed to build helm and kstatus (go not on PATH)")
    found = tools(helm_version)
    if not found.kstatus.exists():
        _log("building kstatus from sigs.k8s.io/cli-utils (first use; about 20 seconds)")
        build_kstatus(found.kstatus)
    if not found.helm.exists():
        _log(f"building helm v{helm_version} from helm.sh/helm/v3 (first use; about 3 minutes on 2 cores)")
        build_helm(helm_version, found.helm)
    return found


if __name__ == "__main__":
    print(ensure_tools())
