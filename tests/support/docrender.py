"""Rendering what the pages show, for the docs tier's unit and end-to-end tests: Helm commands and
values through `helm template`, kustomizations and Flux Kustomizations through `kubectl kustomize`."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import yaml
from docpages import ROOT, Block, Command, blocks, yaml_kind

from registry_testbed.localcluster.build import binaries
from registry_testbed.localcluster.tools import tools


def helm_template(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(tools().helm), "template", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def kustomization_dir(block: Block, tmp_path: Path) -> Path:
    """The block as a kustomization.yaml, its `<repository>` made this repository, with the files the
    page names (`docs-test: file:`) beside it."""
    where = tmp_path / "kustomization"
    where.mkdir()
    text = block.text.replace("<repository>", os.path.relpath(ROOT, where))
    (where / "kustomization.yaml").write_text(text)
    for named in blocks([block.page]):
        if named.file:
            (where / named.file).write_text(named.text)
    return where


def kustomize(directory: Path, where: str, *flags: str) -> str:
    out = subprocess.run(
        [str(binaries().kubectl), "kustomize", *flags, str(directory)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, f"{where}: {out.stderr}"
    return out.stdout


def flux_build(kustomization: dict[str, Any], tmp_path: Path, where: str) -> str:
    """What Flux's kustomize-controller applies for a Kustomization of this repository: its path built
    with the Kustomization's images and patches."""
    directory = tmp_path / kustomization["metadata"]["name"]
    directory.mkdir()
    spec = kustomization["spec"]
    path = ROOT / spec["path"]
    # Flux makes a kustomization of a directory's manifests when it has none.
    found = (
        [path]
        if any((path / k).exists() for k in ("kustomization.yaml", "Kustomization"))
        else sorted(path.glob("*.yaml"))
    )
    overlay = {
        "resources": [os.path.relpath(f, directory) for f in found],
        **{k: spec[k] for k in ("images", "patches") if k in spec},
    }
    (directory / "kustomization.yaml").write_text(yaml.safe_dump(overlay))
    return kustomize(directory, where, "--load-restrictor", "LoadRestrictionsNone")


def render_helm(command: Command, tmp_path: Path) -> str:
    """`helm install|upgrade --install NAME CHART ...` as `helm template`, with the values files the page
    names (blocks marked `docs-test: file: NAME`) written beside it; the output."""
    args = list(command.argv[2:])
    for flag in ("--install", "--create-namespace", "--wait", "--atomic"):
        while flag in args:
            args.remove(flag)
    files = {b.file: b for b in blocks([command.page]) if b.file}
    for i, arg in enumerate(args):
        if i > 0 and args[i - 1] in ("-f", "--values"):
            assert arg in files, f"{command.where}: {arg} is no block of the page (docs-test: file: {arg})"
            (tmp_path / arg).write_text(files[arg].text)
    if not (tmp_path / "charts").exists():  # the command's chart path, relative to the repository
        (tmp_path / "charts").symlink_to(ROOT / "charts")
    out = helm_template(*args, "--include-crds", cwd=tmp_path)
    assert out.returncode == 0, f"{command.where}: {out.stderr}"
    return out.stdout


def gitops_objects(block: Block) -> list[dict[str, Any]]:
    if yaml_kind(block) != "manifest":
        return []
    return [
        d for d in block.documents() if d["apiVersion"].split("/")[0].endswith(("fluxcd.io", "argoproj.io"))
    ]
