"""Build Argo CD from its published Go module, cached beside the local control plane.

Argo CD ships one binary that acts as the CLI, the application-controller or the repo-server
depending on the name it is started under (argv[0]); the cache holds that binary, symlinks with
those names, and the files of the module the running components need: the CRDs, the base config
(`argocd-cm` and friends) and the two wrapper scripts the repo-server execs.

`go install …@version` refuses a module whose go.mod has `replace` directives, and Argo CD's has
them (every k8s.io staging module is pinned to its published twin). So a small wrapper module is
generated: it requires Argo CD, repeats its replace directives (all but the relative-path ones,
whose published modules the proxy serves) and builds `github.com/argoproj/argo-cd/v3/cmd`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from registry_testbed.localcluster.build import _go, _log, _module_dir, cache_root

ARGOCD_VERSION = os.environ.get("ARGOCD_VERSION", "3.6.1")
# Argo CD 3.6 requires Go >= 1.27. The go command fetches this toolchain through the module proxy
# for these commands alone; the project's own go.mod files keep theirs.
ARGOCD_GO_TOOLCHAIN = os.environ.get("ARGOCD_GO_TOOLCHAIN", "go1.27.3")
MODULE = "github.com/argoproj/argo-cd/v3"
COMPONENTS = ("argocd-application-controller", "argocd-repo-server")
# The repo-server execs these by name (from PATH) for every git operation, even with GPG disabled.
WRAPPERS = ("git-verify-wrapper.sh", "gpg-wrapper.sh")


@dataclass(frozen=True)
class ArgoCD:
    home: Path

    @property
    def binary(self) -> Path:
        """The binary under its CLI name (`argocd admin ...` works offline on files)."""
        return self.home / "argocd"

    def component(self, name: str) -> Path:
        return self.home / name

    @property
    def crds(self) -> Path:
        return self.home / "manifests" / "crds"

    @property
    def config(self) -> Path:
        return self.home / "manifests" / "base" / "config"

    @property
    def path_dir(self) -> Path:
        """A directory for PATH: the wrapper scripts the repo-server execs."""
        return self.home / "hack"


def argocd(version: str = ARGOCD_VERSION) -> ArgoCD:
    return ArgoCD(cache_root() / "bin" / f"argocd-v{version}")


def _toolchain_env() -> dict[str, str]:
    return {"GOTOOLCHAIN": ARGOCD_GO_TOOLCHAIN}


def _replaces(module_dir: Path, work: Path) -> list[str]:
    """Argo CD's own replace directives as `old=new@version`, leaving out local-path ones."""
    out = subprocess.run(
        ["go", "mod", "edit", "-json", str(module_dir / "go.mod")],
        cwd=work,
        env=dict(os.environ, **_toolchain_env()),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found = []
    for rep in json.loads(out).get("Replace") or []:
        old, new = rep["Old"], rep["New"]
        if not new.get("Version"):
            continue  # `=> ./gitops-engine`: the proxy serves that module at the same version
        old_spec = f"{old['Path']}@{old['Version']}" if old.get("Version") else old["Path"]
        found.append(f"{old_spec}={new['Path']}@{new['Version']}")
    return found


def build_argocd(version: str, home: Path) -> None:
    work = cache_root() / "build" / f"argocd-v{version}"
    work.mkdir(parents=True, exist_ok=True)
    env = _toolchain_env()
    (work / "go.mod").write_text("module localtools/argocd\n\ngo 1.27\n")
    (work / "go.sum").unlink(missing_ok=True)
    _log(f"resolving {MODULE} v{version} (Go toolchain {ARGOCD_GO_TOOLCHAIN})")
    module_dir = _module_dir(MODULE, f"v{version}", work, env)
    replaces = _replaces(module_dir, work)
    _go(
        ["mod", "edit", f"-require={MODULE}@v{version}", *(f"-replace={r}" for r in replaces)],
        work,
        "go mod edit",
        env,
    )
    # A tools file keeps the main package in the module graph without compiling it into this one.
    (work / "tools.go").write_text(f'//go:build tools\n\npackage tools\n\nimport _ "{MODULE}/cmd"\n')
    _go(["mod", "tidy"], work, f"go mod tidy (Argo CD v{version})", env)

    common = f"{MODULE}/common"
    ldflags = " ".join(
        [
            "-s -w",
            f"-X {common}.version={version}",
            f"-X {common}.gitTag=v{version}",
            f"-X {common}.gitTreeState=clean",
        ]
    )
    home.mkdir(parents=True, exist_ok=True)
    tmp = home / ".argocd.tmp"
    _go(
        ["build", "-trimpath", "-ldflags", ldflags, "-o", str(tmp), f"{MODULE}/cmd"],
        work,
        f"build argocd v{version}",
        env,
    )

    for sub in ("manifests/crds", "manifests/base/config"):
        shutil.rmtree(home / sub, ignore_errors=True)
        shutil.copytree(module_dir / sub, home / sub)
    (home / "hack").mkdir(exist_ok=True)
    for name in WRAPPERS:
        dest = home / "hack" / name
        dest.unlink(missing_ok=True)
        shutil.copyfile(module_dir / "hack" / name, dest)
        dest.chmod(0o755)  # module-cache files are read-only and never executable
    # Copied from the read-only module cache: make them removable by a later `rm -rf` of the cache.
    for path in home.rglob("*"):
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o200)
    for name in COMPONENTS:
        link = home / name
        link.unlink(missing_ok=True)
        link.symlink_to("argocd")
    # The binary lands last: its presence means everything beside it is complete.
    tmp.rename(home / "argocd")


def ensure_argocd(version: str = ARGOCD_VERSION) -> ArgoCD:
    """Return the cached Argo CD, building it on first use."""
    found = argocd(version)
    if not found.binary.exists():
        if shutil.which("go") is None:
            raise RuntimeError("the Go toolchain is needed to build Argo CD (go not on PATH)")
        _log(f"building Argo CD v{version} from {MODULE} (first use; about 10 minutes on 2 cores)")
        build_argocd(version, found.home)
    return found


if __name__ == "__main__":
    print(ensure_argocd())
