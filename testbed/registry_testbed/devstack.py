"""Start the embedded AWS and the operator as real processes: shared by `make demo` and the e2e tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Dummy credentials: the embedded AWS accepts any; they keep boto3 from searching for real ones.
LOCAL_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-2",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Process:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    _log_file: object = field(repr=False, default=None)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        if self.alive():
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def kill(self) -> None:
        """SIGKILL, as a crash would: no cleanup handlers run."""
        self.stop(signal.SIGKILL)

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _spawn(name: str, args: list[str], log: Path, env: dict[str, str]) -> Process:
    log.parent.mkdir(parents=True, exist_ok=True)
    out = open(log, "ab")  # noqa: SIM115 (lives as long as the process)
    proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    return Process(name, proc, log, out)


def start_local_aws(
    log: Path, port: int | None = None, timeout: float = 30.0, settings: dict[str, Any] | None = None
) -> tuple[Process, str]:
    """The embedded AWS on a free loopback port, started with `settings` (as PUT /_localaws/settings
    takes them); returns the process and its endpoint URL."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    args = [sys.executable, "-m", "registry_testbed.cli", "local-aws", "--port", str(port)]
    if settings:
        args += ["--settings", json.dumps(settings)]
    process = _spawn("local-aws", args, log, dict(os.environ))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"local-aws exited at start:\n{process.tail()}")
        try:
            with urllib.request.urlopen(f"{url}/_localaws/health", timeout=1) as resp:
                if resp.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.2)
    process.stop()
    raise RuntimeError(f"local-aws did not answer on {url} within {timeout:.0f} s:\n{process.tail()}")


def operator_env(kubeconfig: Path, aws_endpoint: str | None) -> dict[str, str]:
    env = dict(os.environ, KUBECONFIG=str(kubeconfig))
    if aws_endpoint:
        env.update(LOCAL_AWS_ENV, AWS_ENDPOINT_URL=aws_endpoint)
    return env


def start_operator(
    kubeconfig: Path,
    aws_endpoint: str | None,
    log: Path,
    extra_args: list[str] | None = None,
    extra_env: dict[str, str] | None = None,
) -> Process:
    args = [sys.executable, "-m", "registry_operator.cli", "run", *(extra_args or [])]
    return _spawn("operator", args, log, {**operator_env(kubeconfig, aws_endpoint), **(extra_env or {})})
