"""The image's install steps, run for real: there is no container engine here, so the Dockerfile's
build-stage RUN lines are executed as written in a scratch directory laid out like the build
context, with /src and /opt/venv mapped to temporary paths, and the resulting environment is checked
as the final image would use it."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def _stages(text: str) -> list[list[tuple[str, str]]]:
    """The Dockerfile as stages of (instruction, arguments), continuation lines joined."""
    stages: list[list[tuple[str, str]]] = [[]]
    for line in text.replace("\\\n", " ").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, rest = line.partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        stages[-1].append((instruction.upper(), rest.strip()))
    return stages


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


@pytest.mark.timeout(900)
def test_image_install_steps_in_a_fresh_virtualenv(tmp_path: Path) -> None:
    stages = _stages(DOCKERFILE.read_text())
    build = next(s for s in stages if s and s[0][0] == "FROM" and s[0][1].endswith(" AS build"))
    src, venv = tmp_path / "src", tmp_path / "venv"
    src.mkdir()
    # The build context is what .dockerignore lets through; COPY places it under WORKDIR /src.
    for instruction, args in build:
        if instruction == "COPY":
            *sources, _dest = shlex.split(args)
            for source in sources:
                path = ROOT / source
                if path.is_dir():
                    shutil.copytree(
                        path, src / source, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
                    )
                else:
                    shutil.copy(path, src / source)
    # `python` in the image is the base interpreter of the same minor version as the one here.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(Path(sys._base_executable).resolve())  # type: ignore[attr-defined]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_", "VIRTUAL_ENV"))} | {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    }
    for instruction, args in build:
        if instruction == "ENV":
            for pair in shlex.split(args):
                key, _, value = pair.partition("=")
                env[key] = value
        elif instruction == "RUN":
            while args.startswith("--"):  # RUN's own flags (--mount=type=secret,...) are the builder's
                args = args.split(" ", 1)[1]
            command = args.replace("/opt/venv", str(venv)).replace("/src", str(src))
            print(f"RUN {command}")
            res = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", command],
                cwd=src,
                env=env,
                capture_output=True,
                text=True,
                timeout=800,
            )
            assert res.returncode == 0, f"{command}\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"

    python = venv / "bin" / "python"
    # What the final image runs: ENTRYPOINT plus CMD.
    final = stages[-1]
    entrypoint = json.loads(next(a for i, a in final if i == "ENTRYPOINT"))
    cmd = json.loads(next(a for i, a in final if i == "CMD"))
    assert entrypoint == ["registry-operator", "run"]
    helped = subprocess.run(
        [str(venv / "bin" / entrypoint[0]), *entrypoint[1:], "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert helped.returncode == 0, helped.stderr
    for flag in ("--namespace", "--log-format", "--metrics-port", "--config"):
        assert flag in helped.stdout
    for arg in cmd:
        assert arg.split("=")[0] in helped.stdout

    # Installed: the runtime dependencies at the locked versions, nothing for tests or the local AWS.
    frozen = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m, json; "
         "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    installed = {re.sub(r"[-_.]+", "-", k).lower(): v for k, v in json.loads(frozen.stdout).items()}
    pins = _lock()
    assert installed.pop("sagemaker-registry-operator") == "0.1.0"
    for name, version in installed.items():
        assert pins.get(name) == version, f"{name}=={version} is not the locked version {pins.get(name)}"
    for absent in ("moto", "pytest", "ruff", "pip", "setuptools", "flask", "sympy"):
        assert absent not in installed, f"{absent} must not be in the image"
    for needed in ("kopf", "boto3", "kubernetes", "pydantic", "prometheus-client"):
        assert needed in installed
    imported = subprocess.run(
        [str(python), "-c", "import registry_operator.handlers.operator, registry_operator.process.health"],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
    )
    assert imported.returncode == 0, imported.stderr
    # The product alone: no module of the test bed (embedded AWS, local control plane, demo, doc tools).
    listed = subprocess.run(
        [str(python), "-c", "import pkgutil, registry_operator as r, importlib.util as u; "
         "print(' '.join(m.name for m in pkgutil.walk_packages(r.__path__, 'registry_operator.')));"
         "print(u.find_spec('registry_testbed') is None)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    modules, testbed_absent = listed.stdout.splitlines()
    assert testbed_absent == "True"
    for test_bed in ("localaws", "localcluster", "devstack", "demo", "config_docs"):
        assert f".{test_bed}" not in modules, f"registry_operator.{test_bed} must not ship in the image"
    size = sum(f.stat().st_size for f in venv.rglob("*") if f.is_file())
    print(f"operator environment: {len(installed)} packages, {size / 1e6:.0f} MB")
