"""The benchmark's side of the API server: bulk creates in threads and a watch that sees Ready.

The Python client rather than kubectl: creating thousands of objects from a thread pool is several
times faster than one `kubectl apply` of the same documents, and one watch is far cheaper for the API
server than polling lists of 10,000 objects.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from audit import BENCH_USER_AGENT
from kubernetes import client, config, watch

from registry_operator.api.common import GROUP, VERSION

CREATE_THREADS = 8


def api_client(kubeconfig: Path) -> client.ApiClient:
    cfg = client.Configuration()
    config.load_kube_config(config_file=str(kubeconfig), client_configuration=cfg)
    cfg.connection_pool_maxsize = 32
    api = client.ApiClient(cfg)
    api.user_agent = BENCH_USER_AGENT  # so the audit log tells the benchmark's writes from the operator's
    return api


def create_namespace(api: client.ApiClient, name: str) -> None:
    client.CoreV1Api(api).create_namespace({"metadata": {"name": name}})


def create_all(
    api: client.ApiClient,
    plural: str,
    objects: Iterable[dict[str, Any]],
    created: dict[str, float] | None = None,
) -> float:
    """Create every object (namespaced custom resources); returns the seconds it took. With `created`,
    records when each create was answered (time.monotonic(), by name)."""
    custom = client.CustomObjectsApi(api)

    def create(obj: dict[str, Any]) -> None:
        custom.create_namespaced_custom_object(GROUP, VERSION, obj["metadata"]["namespace"], plural, obj)
        if created is not None:
            created[obj["metadata"]["name"]] = time.monotonic()

    started = time.monotonic()
    with ThreadPoolExecutor(CREATE_THREADS) as pool:
        for _ in pool.map(create, objects):
            pass
    return time.monotonic() - started


def is_ready(obj: dict[str, Any]) -> bool:
    meta, status = obj.get("metadata", {}), obj.get("status") or {}
    if status.get("observedGeneration") != meta.get("generation"):
        return False
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions", []))


class Watcher:
    """Follows every object of one kind in one namespace: which are Ready, and each approval status."""

    def __init__(self, api: client.ApiClient, namespace: str, plural: str) -> None:
        self._custom = client.CustomObjectsApi(api)
        self.namespace, self.plural = namespace, plural
        self._cond = threading.Condition()
        self.ready: set[str] = set()
        self.ready_at: dict[str, float] = {}  # name -> when first seen Ready (time.monotonic())
        self.approval: dict[str, tuple[str | None, float]] = {}  # name -> (status.approvalStatus, seen at)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"watch-{plural}", daemon=True)
        self._rv = self._relist()
        self._thread.start()

    def _update(self, obj: dict[str, Any], deleted: bool = False) -> None:
        name = obj["metadata"]["name"]
        approval = (obj.get("status") or {}).get("approvalStatus")
        with self._cond:
            if deleted:
                self.ready.discard(name)
                self.approval.pop(name, None)
            else:
                if is_ready(obj):
                    self.ready.add(name)
                    self.ready_at.setdefault(name, time.monotonic())
                else:
                    self.ready.discard(name)
                if self.approval.get(name, (None, 0.0))[0] != approval or name not in self.approval:
                    self.approval[name] = (approval, time.monotonic())
            self._cond.notify_all()

    def _relist(self) -> str:
        token = None
        while True:
            page = self._custom.list_namespaced_custom_object(
                GROUP, VERSION, self.namespace, self.plural, limit=500, _continue=token
            )
            for obj in page["items"]:
                self._update(obj)
            token = page["metadata"].get("continue")
            if not token:
                return str(page["metadata"]["resourceVersion"])

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                stream = watch.Watch().stream(
                    self._custom.list_namespaced_custom_object,
                    GROUP,
                    VERSION,
                    self.namespace,
                    self.plural,
                    resource_version=self._rv,
                    allow_watch_bookmarks=True,
                    timeout_seconds=60,
                )
                for event in stream:
                    obj = event["object"]
                    if event["type"] == "ERROR":
                        raise client.ApiException(status=obj.get("code", 500), reason=obj.get("message"))
                    self._rv = obj["metadata"]["resourceVersion"]
                    if event["type"] != "BOOKMARK":
                        self._update(obj, deleted=event["type"] == "DELETED")
                    if self._stop.is_set():
                        return
            except Exception:
                if self._stop.is_set():
                    return
                time.sleep(0.5)
                try:
                    self._rv = self._relist()
                except Exception:
                    if self._stop.is_set():
                        return

    def wait(self, predicate: Callable[[Watcher], bool], timeout: float, what: str) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(self), timeout):
                raise TimeoutError(f"{what} not reached within {timeout:.0f} s")

    def stop(self) -> None:
        self._stop.set()
