"""kopf glue for every kind, registered from the kind list: one reconcile entry point (create, update,
resume) and one deletion, both handing the object to the shared runner.

Two ways of writing the outcome back, chosen per kind:
- through kopf's own patch (ModelVersion, ModelPackageGroup): one write per reconcile, with kopf's
  bookkeeping in the same request;
- straight to the API server under the object's lock, after re-reading the object (accesses): their
  periodic re-check runs beside kopf's handlers, and a decision about what to withdraw must be taken
  from the status as it stands, never from a body read before another run wrote it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import kopf

from registry_operator.api.kinds import KINDS, KindInfo
from registry_operator.handlers import kube, status
from registry_operator.process import metrics
from registry_operator.reconcile import runner
from registry_operator.reconcile.kinds import RECONCILERS
from registry_operator.reconcile.outcome import Event
from registry_operator.reconcile.runner import ManagedKind

# Kinds whose writes happen under the object's lock, straight to the API server (see the docstring).
LOCKED_KINDS = {"CrossAccountRegistryAccess"}
# Kinds whose settled objects (Ready for their generation, as status records) are left to the periodic
# resync: no handler of theirs matches such an object, so kopf skips its whole handling cycle at a
# restart (with 10,000 Ready versions, a third of the restart's CPU). A new object or a changed spec is
# never settled: it has no status yet, or its generation moved past the one Ready names.
ONLY_UNSETTLED = {"ModelVersion", "CrossAccountRegistryAccess"}
# Handler ids stay what they were named before, so an upgrade finds kopf's progress records.
HANDLER_IDS = {
    "ModelPackageGroup": "group",
    "ModelVersion": "version",
    "CrossAccountRegistryAccess": "access",
}


def object_lock(memo: kopf.Memo, uid: str) -> Any:
    return memo.context.locks(("object", uid))


def reconcile_locked(
    info: KindInfo, kind: ManagedKind[Any, Any], memo: kopf.Memo, namespace: str, name: str, attempt: int,
    logger: Any, periodic: bool = False,
) -> bool:  # fmt: skip
    """One run of a locked kind: re-read the object under its lock, reconcile, write the status.
    Returns whether the status was written (a periodic run that changed nothing writes nothing)."""
    api = memo.kube
    fresh = kube.get_object(api, info.plural, namespace, name)
    if fresh is None or fresh["metadata"].get("deletionTimestamp"):
        return False
    with object_lock(memo, fresh["metadata"]["uid"]):
        fresh = kube.get_object(api, info.plural, namespace, name)
        if fresh is None or fresh["metadata"].get("deletionTimestamp"):
            return False
        if periodic and _stalled_by_input(fresh):
            return False  # bad input or not permitted: only a change of spec or config can cure it
        ref = status.object_ref(fresh)

        def checkpoint(recorded: dict[str, Any]) -> None:
            kube.patch_status(api, info.plural, namespace, name, recorded)

        outcome = runner.reconcile(
            kind, ref, fresh.get("spec", {}), fresh.get("status"), memo.context, attempt, checkpoint
        )
        return status.write(
            outcome,
            fresh,
            kind.status_fields(),
            lambda patch: kube.patch_status(api, info.plural, namespace, name, patch),
            _event_poster(api, info.kind, ref.namespace, ref.name, ref.uid, logger),
            logger,
            only_if_changed=periodic,
            retry=not periodic,
        )


def _stalled_by_input(body: dict[str, Any]) -> bool:
    """Stalled for its current generation by its spec or the config, not by AWS (an AWS refusal carries
    a re-check; these do not)."""
    generation = body["metadata"].get("generation")
    for c in (body.get("status") or {}).get("conditions", []) or []:
        if (
            c.get("type") == "Stalled"
            and c.get("status") == "True"
            and c.get("observedGeneration") == generation
        ):
            reason = str(c.get("reason", ""))
            return reason == "NotPermitted" or reason.startswith("Invalid")
    return False


def _event_poster(
    api: Any, kind: str, namespace: str, name: str, uid: str, logger: Any
) -> Callable[[Event], None]:
    def post(event: Event) -> None:
        try:
            kube.post_event(api, kind, namespace, name, uid, event)
        except Exception as exc:  # an event is informational; it never fails a reconcile
            logger.warning(f"could not post event {event.reason}: {exc}")

    return post


def _register(info: KindInfo) -> None:
    kind = RECONCILERS[info.kind]
    owned = kind.status_fields()
    locked = info.kind in LOCKED_KINDS
    suffix = HANDLER_IDS[info.kind]

    def unsettled(body: kopf.Body, memo: kopf.Memo, **_: Any) -> bool:
        generation = int(body.get("metadata", {}).get("generation") or 0)
        return not kind.settled(body.get("status"), generation, memo.context.config.cluster_name)

    @metrics.observe_reconcile(info.kind)
    def reconcile(
        body: kopf.Body, retry: int, patch: kopf.Patch, memo: kopf.Memo, logger: Any, **_: Any
    ) -> None:
        if locked:
            meta = body["metadata"]
            reconcile_locked(info, kind, memo, meta["namespace"], meta["name"], retry, logger)
            return
        outcome = runner.reconcile(
            kind, status.object_ref(body), body.get("spec", {}), body.get("status"), memo.context, retry
        )
        status.apply(outcome, body, patch, logger, owned)

    def delete(
        body: kopf.Body, retry: int, patch: kopf.Patch, memo: kopf.Memo, logger: Any, **_: Any
    ) -> None:
        ref = status.object_ref(body)
        if locked:
            with object_lock(memo, ref.uid):
                fresh = kube.get_object(memo.kube, info.plural, ref.namespace, ref.name) or body
                outcome = runner.delete(
                    kind, ref, fresh.get("spec", {}), fresh.get("status"), memo.context, retry
                )
        else:
            outcome = runner.delete(kind, ref, body.get("spec", {}), body.get("status"), memo.context, retry)
        status.apply_deletion(outcome, body, patch, logger)

    default_policy = str(info.default_deletion_policy)
    when = unsettled if info.kind in ONLY_UNSETTLED else None
    kopf.on.resume(*info.selector, id=f"reconcile_{suffix}", when=when)(reconcile)
    kopf.on.create(*info.selector, id=f"reconcile_{suffix}", when=when)(reconcile)
    kopf.on.update(*info.selector, id=f"reconcile_{suffix}", field="spec", when=when)(reconcile)
    # A finalizer only where deletion has AWS work to do: the objects whose policy is Delete.
    kopf.on.delete(
        *info.selector,
        id=f"delete_{suffix}",
        when=lambda spec, **_: spec.get("deletionPolicy", default_policy) == "Delete",
    )(delete)


for _info in KINDS:
    _register(_info)
