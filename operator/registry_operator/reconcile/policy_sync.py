"""Read-modify-write of a shared resource policy, serialised per target and written only on change."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

from registry_operator import policy
from registry_operator.reconcile.locks import KeyedLocks


@dataclass(frozen=True)
class PolicyTarget:
    """One resource policy (a bucket's, a repository's, a group's) as get/put/delete callables."""

    key: Hashable  # identifies the document across all resources, e.g. ("s3", account, bucket)
    get: Callable[[], str | None]
    put: Callable[[str], None]
    delete: Callable[[], None]


def ensure(target: PolicyTarget, statements: list[policy.Statement], locks: KeyedLocks) -> bool:
    """Our statements are in the document; True when it had to be written."""
    with locks(target.key):  # re-read under the lock: another resource may have just written it
        current = policy.parse(target.get())
        updated, changed = policy.upsert(current, statements)
        if changed:
            target.put(policy.render(updated))
        return changed


def withdraw(target: PolicyTarget, sids: set[str], locks: KeyedLocks) -> bool:
    """Our statements are gone; the policy itself is deleted only when nothing else is left in it."""
    with locks(target.key):
        text = target.get()
        if text is None:
            return False
        updated, changed = policy.remove(policy.parse(text), sids)
        if not changed:
            return False
        if updated is None:
            target.delete()
        else:
            target.put(policy.render(updated))
        return True
