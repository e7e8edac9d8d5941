"""Read-modify-write of a shared resource policy, serialised per target and written only on change."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from registry_operator import policy
from registry_operator.reconcile.locks import KeyedLocks
from registry_operator.reconcile.outcome import Stalled


@dataclass(frozen=True)
class PolicyTarget:
    """One resource policy (a bucket's, a repository's, a group's) as get/put/delete callables."""

    key: tuple[str, ...]  # identifies the document across all objects, e.g. ("s3", "", "", bucket)
    what: str  # "bucket policy of training-artifacts", for messages
    max_size: int  # the service's limit on the document (characters; bytes for S3)
    limit_source: str  # where the limit is documented, for the message
    get: Callable[[], str | None]
    put: Callable[[str], None]
    delete: Callable[[], None]


def _check_size(target: PolicyTarget, text: str, doc: policy.Document, ours: int) -> None:
    # S3 counts a bucket policy's size in bytes; ECR and SageMaker count characters.
    in_bytes = target.key[0] == "s3"
    size, unit = (len(text.encode()), "bytes") if in_bytes else (len(text), "characters")
    if size > target.max_size:
        total = len(doc.get("Statement", []))
        raise Stalled(
            "PolicyTooLarge",
            f"the {target.what} would be {size:,} {unit} with this object's statements, over the limit "
            f"of {target.max_size:,} ({target.limit_source}); it holds {total} statements, {total - ours} of "
            "them from others. Nothing was changed: remove statements from it or use another target",
        )


def ensure(target: PolicyTarget, statements: list[policy.Statement], locks: KeyedLocks) -> bool:
    """Our statements are in the document; True when it had to be written."""
    with locks(target.key):  # re-read under the lock: another object may have just written it
        current = policy.parse(target.get())
        updated, changed = policy.upsert(current, statements)
        if changed:
            text = policy.render(updated)
            _check_size(target, text, updated, len(statements))
            target.put(text)
        return changed


def present(target: PolicyTarget, statements: list[policy.Statement]) -> bool:
    """Whether the document already holds exactly these statements (a read, no write)."""
    _, changed = policy.upsert(policy.parse(target.get()), statements)
    return not changed


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
