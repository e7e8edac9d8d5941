"""The operator as a real process that tests may kill and restart."""

from __future__ import annotations

from pathlib import Path

from kube import Kube

from registry_testbed import devstack


class OperatorRunner:
    """The operator as a real process; tests may kill and restart it."""

    def __init__(
        self,
        kube: Kube,
        endpoint: str,
        log: Path,
        config: Path,
        extra_args: list[str] | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.kube, self.endpoint, self.log, self.config = kube, endpoint, log, config
        self.extra_args = extra_args or []
        self.extra_env = extra_env or {}
        self.process: devstack.Process | None = None

    def start(self) -> devstack.Process:
        if self.process is not None and self.process.alive():
            self.process.stop()  # never two of them: one would be left behind, still acting
        self.process = devstack.start_operator(
            self.kube.info.kubeconfig,
            self.endpoint,
            self.log,
            ["--config", str(self.config), *self.extra_args],
            self.extra_env,
        )
        return self.process

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def restart(self) -> None:
        self.stop()
        self.start()

    def tail(self) -> str:
        return self.process.tail(80) if self.process else ""
