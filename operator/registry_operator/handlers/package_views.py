"""The package views (which ModelVersion holds which package; which registered versions the periodic
listing observes), kept outside kopf's indexes.

kopf fills an index before any handler runs by holding every object's worker, with that object's whole
event, until every object of every indexed kind is indexed (kopf 1.45.2, `process_resource_event`).
Over 10,000 ModelVersions that held about 220 MB at a restart (a 408 MB peak, against 186 MB while
registering the same 10,000). Groups and accesses, few, stay kopf indexes (indexes.py).

The claims are complete before the first one is answered: that first question lists every ModelVersion
this operator serves (once; the others wait for it). A restart over settled objects asks none, so it
pays for kopf's listing alone. kopf's events are what count: an object an event has already delivered
keeps what the event said (a later event brings any later change), and a claim only the listing has
seen is checked with a GET before it counts, which also covers an object deleted around the listing
(claims only matter where two objects name one package: rare). The resync's registered versions come
from kopf's events only, never from the listing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kopf._cogs.structs.references import match_namespace
from kubernetes import client
from kubernetes.client.rest import ApiException

from registry_operator.api.common import GROUP, VERSION
from registry_operator.api.model_version import INFO
from registry_operator.reconcile.claims import PackageClaim, claim_key, package_claim
from registry_operator.reconcile.group_listing import TrackedVersion
from registry_operator.reconcile.model_version import tracked

PLURAL = INFO.plural
log = logging.getLogger("registry_operator.views")
PAGE = 500  # the same page size as kopf's own listing (handlers/operator.py)


@dataclass(frozen=True)
class _Entry:
    key: str | None
    claim: PackageClaim | None
    tracked: TrackedVersion | None
    confirmed: bool  # seen in one of kopf's events, not only in the start-up listing


class PackageViews:
    """Written from the event loop, read from the reconcile threads: one lock, held for a dict update."""

    def __init__(self, lister: Callable[[PackageViews], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._claims: dict[str, dict[str, PackageClaim]] = {}
        # Fills the views with `listed` before the first claim is answered (None: never listed).
        self.lister = lister
        self._listing = threading.Lock()
        self._complete = False

    def listed(self, body: Mapping[str, Any]) -> None:
        """An object from the listing: its claim counts once a GET or an event confirms it."""
        self._put(body, confirmed=False)

    def seen(self, body: Mapping[str, Any], deleted: bool = False) -> None:
        """An object as one of kopf's events has it."""
        if deleted:
            self.gone(body["metadata"]["uid"])
        else:
            self._put(body, confirmed=True)

    def gone(self, uid: str) -> None:
        with self._lock:
            self._drop(uid)

    def claims(self, arn: str, exists: Callable[[PackageClaim], bool]) -> list[PackageClaim]:
        """The claims on one package; one not yet confirmed counts only if `exists` finds its object."""
        self._list_once()
        with self._lock:
            found = [
                (c, self._entries[c.uid].confirmed) for c in self._claims.get(claim_key(arn), {}).values()
            ]
        kept = []
        for claim, confirmed in found:
            if confirmed or exists(claim):
                kept.append(claim)
            else:
                self.gone(claim.uid)
        return kept

    def tracked_of(self, uid: str) -> TrackedVersion | None:
        """A registered version as the watch last delivered it."""
        with self._lock:
            entry = self._entries.get(uid)
            return entry.tracked if entry is not None and entry.confirmed else None

    def registered(self) -> list[TrackedVersion]:
        with self._lock:
            return [e.tracked for e in self._entries.values() if e.tracked is not None and e.confirmed]

    def prime(self) -> None:
        """List now rather than at the first claim (registry events ask claims from the start)."""
        try:
            self._list_once()
        except Exception as exc:  # the first claim lists again
            log.warning(
                f"listing the ModelVersions for the package claims failed; the first claim retries: {exc}"
            )

    def _list_once(self) -> None:
        if self._complete or self.lister is None:
            return
        with self._listing:
            if not self._complete:
                self.lister(self)  # raises on an API error: the reconcile retries, the next one lists
                self._complete = True

    def _put(self, body: Mapping[str, Any], confirmed: bool) -> None:
        uid = body["metadata"]["uid"]
        key, claim = package_claim(body) or (None, None)
        entry = _Entry(key, claim, tracked(body), confirmed)
        with self._lock:
            current = self._entries.get(uid)
            if not confirmed and current is not None and current.confirmed:
                return  # an event has delivered the object: it says more than the listing, or as much
            self._drop(uid)
            self._entries[uid] = entry
            if key is not None and claim is not None:
                self._claims.setdefault(key, {})[uid] = claim

    def _drop(self, uid: str) -> None:
        old = self._entries.pop(uid, None)
        if old is not None and old.key is not None:
            holders = self._claims.get(old.key, {})
            holders.pop(uid, None)
            if not holders:
                self._claims.pop(old.key, None)


def served(namespace: str, patterns: Iterable[str]) -> bool:
    """Whether `--namespace` patterns (none: every namespace) take this namespace, as kopf decides it."""
    patterns = list(patterns)
    return not patterns or any(match_namespace(namespace, p) for p in patterns)  # type: ignore[arg-type]


def list_into(
    views: PackageViews, api: client.ApiClient, namespaces: Iterable[str], selector: str | None
) -> int:
    """Every ModelVersion this operator serves, page by page, into `views`; how many. Plain namespace
    names are listed one by one (a namespaced install may read only those); patterns and "every
    namespace" by one cluster-wide listing, filtered as kopf filters its watch."""
    patterns = list(namespaces)
    plain = patterns and all(not any(c in p for c in "!*?,") for p in patterns)
    scopes: list[str | None] = list(patterns) if plain else [None]
    return sum(
        _list_scope(views, client.CustomObjectsApi(api), scope, patterns, selector) for scope in scopes
    )


def _list_scope(
    views: PackageViews,
    objects: client.CustomObjectsApi,
    namespace: str | None,
    patterns: list[str],
    selector: str | None,
) -> int:
    listed, token = 0, ""
    while True:
        paging = {"limit": PAGE, "label_selector": selector or "", "_continue": token}
        page = (
            objects.list_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, **paging)
            if namespace
            else objects.list_cluster_custom_object(GROUP, VERSION, PLURAL, **paging)
        )
        for body in page.get("items", []):
            if served(body["metadata"]["namespace"], patterns):
                views.listed(body)
                listed += 1
        token = (page.get("metadata") or {}).get("continue") or ""
        if not token:
            return listed


def exists_in(api: client.ApiClient) -> Callable[[PackageClaim], bool]:
    """A fresh read: whether the claim's object still exists (the same uid, not a namesake)."""
    objects = client.CustomObjectsApi(api)

    def exists(claim: PackageClaim) -> bool:
        try:
            body = objects.get_namespaced_custom_object(GROUP, VERSION, claim.namespace, PLURAL, claim.name)
        except ApiException as err:
            if err.status == 404:
                return False
            raise
        return bool(body["metadata"]["uid"] == claim.uid)

    return exists
