"""A git repository on local disk that Argo CD syncs from (`file://` URL), as a team's repo would be."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

BRANCH = "main"
# A fixed identity and no user or system config: commits do not depend on who runs the test bed.
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "registry-testbed",
    "GIT_AUTHOR_EMAIL": "registry-testbed@localhost",
    "GIT_COMMITTER_NAME": "registry-testbed",
    "GIT_COMMITTER_EMAIL": "registry-testbed@localhost",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


class GitRepo:
    def __init__(self, path: Path) -> None:
        self.path = Path(path).absolute()

    @property
    def url(self) -> str:
        return f"file://{self.path}"

    def git(self, *args: str) -> str:
        res = subprocess.run(
            ["git", *args],
            cwd=self.path,
            env=dict(os.environ, **_GIT_ENV),
            capture_output=True,
            text=True,
            timeout=60,
        )
        if res.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed: {res.stderr.strip()}")
        return res.stdout.strip()

    def init(self, seed: dict[str, Path]) -> str:
        """A fresh repository whose first commit holds each source directory under its key's path."""
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True)
        self.git("init", "--quiet", f"--initial-branch={BRANCH}")
        for dest, source in seed.items():
            shutil.copytree(source, self.path / dest)
        return self.commit("The example manifests")

    def write(self, relpath: str, text: str) -> None:
        target = self.path / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def read(self, relpath: str) -> str:
        return (self.path / relpath).read_text()

    def commit(self, message: str) -> str:
        """Commit everything in the work tree; returns the new commit's SHA."""
        self.git("add", "--all")
        self.git("commit", "--quiet", "--allow-empty", "-m", message)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")
