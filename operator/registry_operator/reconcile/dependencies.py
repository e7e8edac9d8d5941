"""Which objects wait on which others, so that a change of the one reconciles the other at once.

A kind declares what an object of it needs from other objects (`ManagedKind.needs`: a version's group by
ref, by name or by ARN; an access's group) and what an object of it provides (`ManagedKind.provides`: a
group object provides its own name and the SageMaker group it creates). An object that is not settled
registers its needs here; a provider whose state changes (created, Ready, renamed, deleted) returns the
objects that need it, and the dispatch asks for a run of each. Whatever the order the API server delivers
the objects in, a dependent is reconciled after its provider last changed.

Kept from the watch: a cache that only says whom to wake, never the basis of a decision (the woken run
reads the providers' state from the views and AWS).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Hashable, Iterable
from typing import NamedTuple


class ObjectKey(NamedTuple):
    """One object of one kind, as the work queue keys it."""

    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


class Need(NamedTuple):
    """Something one object provides and another needs: `by` is `name` (the provider object's own
    name, for a reference) or `group` (the SageMaker group it manages, lower-cased: SageMaker names are
    case-insensitive)."""

    kind: str
    namespace: str
    by: str
    value: str


class Dependents:
    """Thread-safe; written from the event loop, read there and in reconcile threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._needs: dict[ObjectKey, frozenset[Need]] = {}
        self._by_need: dict[Need, set[ObjectKey]] = defaultdict(set)
        self._held: set[ObjectKey] = set()  # held by the operator's finalizer: deleting them has work
        # provider uid -> (what it provides, the state its dependents depend on)
        self._providers: dict[str, tuple[frozenset[Need], Hashable]] = {}

    def waits(self, who: ObjectKey, needs: Iterable[Need], held: bool = False) -> None:
        """`who` needs these now (nothing: it no longer waits, or is gone). `held`: the operator's
        finalizer holds it, so its deletion has AWS work that may need them: a provider being deleted
        waits for such objects."""
        wanted = frozenset(needs)
        with self._lock:
            if held and wanted:
                self._held.add(who)
            else:
                self._held.discard(who)
            before = self._needs.pop(who, frozenset())
            for need in before - wanted:
                holders = self._by_need.get(need)
                if holders is not None:
                    holders.discard(who)
                    if not holders:
                        del self._by_need[need]
            if wanted:
                self._needs[who] = wanted
                for need in wanted:
                    self._by_need[need].add(who)

    def provider_seen(self, uid: str, provides: Iterable[Need], state: Hashable | None) -> list[ObjectKey]:
        """A provider as its latest event has it (`state` None: it is gone). Returns the objects that need
        what it provided before or provides now, when anything about it changed."""
        now = frozenset(provides) if state is not None else frozenset()
        with self._lock:
            before = self._providers.get(uid)
            if state is None:
                self._providers.pop(uid, None)
            else:
                self._providers[uid] = (now, state)
            if before == (now, state):
                return []
            needs = now | (before[0] if before else frozenset())
            return sorted({who for need in needs for who in self._by_need.get(need, ())})

    def needing(self, need: Need) -> list[ObjectKey]:
        with self._lock:
            return sorted(self._by_need.get(need, ()))

    def held_needing(self, needs: Iterable[Need]) -> list[ObjectKey]:
        """The objects that need any of these and whose own deletion has AWS work (being deleted or
        not): a provider's deletion waits for them, so that a folder or a namespace deleted at once is
        withdrawn in order (versions, then accesses, then groups), however late the watch delivers
        each deletion. A cache: the caller confirms each against the API server."""
        with self._lock:
            return sorted({w for n in needs for w in self._by_need.get(n, ()) if w in self._held})

    def __len__(self) -> int:
        with self._lock:
            return len(self._needs)
