"""kopf glue for every kind: the watch feeds the work queue, the queue's runs go through the one runner
and the one status writer, and deletion stays kopf's (it holds the finalizer).

One path for every reconcile: a watch event, a provider an object waits on (reconcile.dependencies), the
periodic listing and re-checks, a registry event or a request to look now all ask the work queue for a
run of an object, with whatever observation they hold; the run reads the object, hands it to the runner
(prepare, observe, create/update, report) and writes the outcome. kopf's own change handlers are not
used: they cannot be asked to run from outside, and their bookkeeping cost a write of its own.

Which object body a run starts from: the one the asking watch event brought, unless this process wrote
the object since and the watch has not yet delivered that write (then the write's own answer, which is
newer); a run nobody brought a body for (a retry, a provider's change, the resync) reads the object
afresh. Both are checked under the object's lock, which the deletion handler takes too.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import kopf

from registry_operator.api.common import RECONCILE_REQUEST_ANNOTATION
from registry_operator.handlers import kube, state, status
from registry_operator.process import metrics
from registry_operator.process.workqueue import Ask
from registry_operator.reconcile import readiness, runner
from registry_operator.reconcile.catalogue import MANAGED_KINDS, managed
from registry_operator.reconcile.dependencies import Need, ObjectKey
from registry_operator.reconcile.outcome import Event, ObjectMeta, Outcome, State
from registry_operator.reconcile.runner import ManagedKind

log = logging.getLogger("registry_operator.reconcile")

# A provider being deleted looks again this often for the objects depending on it to be gone (kopf's
# deletion handler cannot be woken from outside: it retries after a delay).
DEPENDENTS_POLL_SECONDS = 2.0
# ... and this often once it has waited DEPENDENTS_PATIENCE_SECONDS for dependents that are not being
# deleted (a group deleted alone, its versions kept): a person must act, and kopf logs every look.
DEPENDENTS_SLOW_POLL_SECONDS = 30.0
DEPENDENTS_PATIENCE_SECONDS = 30.0
# A write of this process not seen on the watch after this long is not waited for: the object is read
# afresh instead (the watch may have been re-established past it). kopf waits as long for its own.
ECHO_PATIENCE_SECONDS = 5.0


def key_of(body: Mapping[str, Any]) -> ObjectKey:
    meta = body["metadata"]
    return ObjectKey(str(body["kind"]), str(meta["namespace"]), str(meta["name"]))


def _object_logger(key: ObjectKey) -> logging.LoggerAdapter[logging.Logger]:
    # kopf's formatters prefix a record carrying k8s_ref with the object's namespace/name.
    ref = {"kind": key.kind, "namespace": key.namespace, "name": key.name}
    return logging.LoggerAdapter(log, {"k8s_ref": ref})


@dataclass
class _Written:
    resource_version: str
    body: Mapping[str, Any]
    at: float


@dataclass
class _During:
    """What happened to one object while a run of it was in progress."""

    delivered: set[str] = field(default_factory=set)  # resource versions the watch delivered
    written: set[str] = field(default_factory=set)  # resource versions the run's own writes made

    @property
    def others(self) -> bool:
        """Something besides the run's own writes changed the object: it is run again at once."""
        return bool(self.delivered - self.written)


class _Echoes:
    """This process's status writes that the watch has not delivered yet: a cache that says which body a
    run starts from (its own last write is newer than any event delivered before it), and which event is
    only the echo of a write (the run that made it has already decided what comes next). Written by the
    runs (threads), read by the watch (the loop)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._unseen: dict[ObjectKey, _Written] = {}
        # While a run of an object is in progress, what the watch delivers of it is noted, not acted on:
        # a write's echo may come before the run has noted the write, and must not ask for another run
        # (each would write again: a loop). Anything else it delivered asks for one run after it.
        self._during: dict[ObjectKey, _During] = {}

    @contextmanager
    def running(self, key: ObjectKey) -> Iterator[_During]:
        during = _During()
        with self._lock:
            self._during[key] = during
        try:
            yield during
        finally:
            with self._lock:
                self._during.pop(key, None)

    def wrote(self, key: ObjectKey, body: Mapping[str, Any]) -> None:
        rv = str(body["metadata"].get("resourceVersion", ""))
        with self._lock:
            during = self._during.get(key)
            if during is not None:
                during.written.add(rv)
            if during is None or rv not in during.delivered:
                self._unseen[key] = _Written(rv, body, time.monotonic())

    def delivered(self, key: ObjectKey, body: Mapping[str, Any]) -> bool:
        """A watch event of the object; whether it needs nothing more: the echo of this process's own
        last write, or something delivered while a run is in progress (which decides at its end)."""
        rv = str(body["metadata"].get("resourceVersion", ""))
        with self._lock:
            during = self._during.get(key)
            if during is not None:
                during.delivered.add(rv)
            written = self._unseen.get(key)
            if written is not None and written.resource_version == rv:
                del self._unseen[key]
                return True
            return during is not None

    def newest(self, key: ObjectKey, candidate: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
        """The body to start a run from, if this process knows one: its own last write while the watch
        has not delivered it, unless `candidate` (an event's body) is of a later generation; else the
        candidate. None: read the object afresh (a write the watch never delivered in time)."""
        with self._lock:
            written = self._unseen.get(key)
            if written is None:
                return candidate
            expired = time.monotonic() - written.at >= ECHO_PATIENCE_SECONDS
            newer = candidate is not None and readiness.generation(candidate) > readiness.generation(
                written.body
            )
            if not expired and not newer:
                return written.body
            del self._unseen[key]
            return candidate if newer else None

    def forget(self, key: ObjectKey) -> None:
        with self._lock:
            self._unseen.pop(key, None)


class Dispatch:
    """The work queue's runs, and what they remember between runs of one object (a cache: attempts for
    the backoff, this process's writes not yet seen on the watch)."""

    def __init__(self, operator: state.OperatorState, pool: ThreadPoolExecutor) -> None:
        self.operator = operator
        self.pool = pool
        self.attempts: dict[ObjectKey, tuple[int, int]] = {}  # key -> (generation, attempts so far)
        self.echoes = _Echoes()

    # ------------------------------------------------------------------ from the watch

    def seen(self, event_type: str | None, body: Mapping[str, Any]) -> None:
        """Every watch event of every kind (on the event loop)."""
        operator, key = self.operator, key_of(body)
        kind = managed(key.kind)
        deleted = event_type == "DELETED"
        provided = kind.provides(body)
        if provided is not None:
            provides, provider_state = provided
            uid = str(body["metadata"]["uid"])
            for dependent in operator.dependents.provider_seen(
                uid, provides, None if deleted else provider_state
            ):
                self.ask(dependent, "dependency")
        if deleted:
            metrics.FIGHTS.forget(str(body["metadata"]["uid"]))
            operator.dependents.waits(key, ())
            self.attempts.pop(key, None)
            self.echoes.forget(key)
            if operator.queue is not None:
                operator.queue.forget(key)
            return
        settled = self._note_needs(key, kind, body)
        if self.echoes.delivered(key, body):
            return  # its own write, or a run in progress will look at it
        if body["metadata"].get("deletionTimestamp"):
            return  # kopf's deletion handler has it
        if _reconcile_requested(body) is not None:
            self.ask(key, "requested", body=body)
        elif not settled or (event_type is None and kind.recheck_on_start):
            self.ask(key, "watch", body=body)

    def _note_needs(self, key: ObjectKey, kind: ManagedKind[Any, Any], body: Mapping[str, Any]) -> bool:
        """What the object needs from others, as this body has it, for the dependents registry (from a
        watch event and from a run's own write alike); whether it is settled."""
        settled = kind.settled(body, self.operator.context.config.cluster_name)
        held = FINALIZER in (body["metadata"].get("finalizers") or [])
        self.operator.dependents.waits(key, () if settled and not held else kind.needs(body), held)
        return settled

    def ask(
        self, key: ObjectKey, reason: str, body: Mapping[str, Any] | None = None, hint: Any = None
    ) -> None:
        queue = self.operator.queue
        if queue is not None:
            queue.ask(key, reason, hint=hint, body=body)

    # ------------------------------------------------------------------ one run

    async def work(self, key: ObjectKey, ask: Ask) -> bool:
        loop = asyncio.get_running_loop()
        done, retry_after = await loop.run_in_executor(self.pool, self.run, key, ask)
        if retry_after is not None and self.operator.queue is not None:
            self.operator.queue.ask(key, "retry", delay=retry_after)
        return done

    def run(self, key: ObjectKey, ask: Ask) -> tuple[bool, float | None]:
        """One run of one object (in a worker thread): whether it did what was asked (its status now
        reflects what the askers observed, or nothing will come of asking again), and when to run it
        again, if ever."""
        with self.operator.context.locks(("object", key)), self.echoes.running(key) as during:
            done, retry_after = self._run(key, ask)
        if during.others:  # changed by someone else meanwhile: look again now, from a fresh read
            self.attempts.pop(key, None)
            self.echoes.forget(key)
            return done, 0.0
        return done, retry_after

    def _run(self, key: ObjectKey, ask: Ask) -> tuple[bool, float | None]:
        kind = managed(key.kind)
        operator = self.operator
        logger = _object_logger(key)
        body = self.echoes.newest(key, ask.body) or kube.get_object(
            operator.kube, kind.info.plural, key.namespace, key.name
        )
        if body is None or body["metadata"].get("deletionTimestamp"):
            return True, None
        if _waits_for_finalizer(kind, body):
            return False, None  # kopf adds it first; its write comes back as an event that asks again
        if ask.reasons <= {"periodic"} and _needs_a_change(body):
            return True, None  # only a change of spec or config can cure it
        generation = readiness.generation(body)
        seen_generation, attempt = self.attempts.get(key, (generation, 0))
        # The backoff grows only across retries of the same spec; anything else that asks (a
        # provider that changed, a new event) may be what cures it, and starts it over.
        attempt = attempt if seen_generation == generation and ask.reasons == {"retry"} else 0
        ref = status.object_ref(body)
        plural = kind.info.plural

        def patch(fields: dict[str, Any]) -> Mapping[str, Any]:
            return kube.patch_status(operator.kube, plural, key.namespace, key.name, fields)

        def checkpoint(recorded: dict[str, Any]) -> None:
            self._remember(key, patch(recorded))

        # Asked to look now: what AWS holds, read now, not what someone observed before.
        requested = _reconcile_requested(body)
        hints = () if requested is not None else ask.hints
        with metrics.reconciling(kind.kind, ref):
            outcome = runner.reconcile(
                kind, ref, body.get("spec", {}), body.get("status"), operator.context, attempt,
                checkpoint, hints, object_meta(body),
            )  # fmt: skip
            if requested is not None and outcome.observed:
                outcome.status["lastHandledReconcileAt"] = requested.value
            written = status.write(
                outcome,
                body,
                kind.status_fields(),
                patch,
                self._event_poster(key, ref.uid, logger),
                logger,
            )
        metrics.approval_events(ref.uid, outcome.events, outcome.status)
        if written is not None:
            self._remember(key, written)
            self._note_needs(key, kind, written)
        done = outcome.observed or outcome.state is not State.PROGRESSING
        if outcome.state is State.PROGRESSING:
            self.attempts[key] = (generation, attempt + 1)
            return done, outcome.retry_after or 10.0
        self.attempts.pop(key, None)
        return done, outcome.retry_after  # a Stalled outcome AWS may cure carries a slow re-check

    def _remember(self, key: ObjectKey, written: Mapping[str, Any]) -> None:
        self.echoes.wrote(key, written)

    def _event_poster(self, key: ObjectKey, uid: str, logger: Any) -> Any:
        api = self.operator.kube

        def post(event: Event) -> None:
            try:
                kube.post_event(api, key.kind, key.namespace, key.name, uid, event)
            except Exception as exc:  # an event is informational; it never fails a reconcile
                logger.warning(f"could not post event {event.reason}: {exc}")

        return post

    # ------------------------------------------------------------------ deletion

    def delete(self, key: ObjectKey, body: kopf.Body, retry: int, patch: kopf.Patch, logger: Any) -> None:
        """kopf's deletion handler (it holds the finalizer), under the object's lock and from the object
        as it is now: never from a body read before a run wrote what it applied."""
        kind = managed(key.kind)
        ref = status.object_ref(body)
        provided = kind.provides(body)
        waiting, going = self._dependents_left(provided[0]) if provided else ([], False)
        if waiting:
            patient = going or _deleting_for(body) < DEPENDENTS_PATIENCE_SECONDS
            names = ", ".join(str(w) for w in waiting[:5]) + (" and more" if len(waiting) > 5 else "")
            outcome: Outcome | None = Outcome(
                State.PROGRESSING,
                "WaitingForDependents",
                f"waits until what depends on it is deleted: {names}",
                retry_after=DEPENDENTS_POLL_SECONDS if patient else DEPENDENTS_SLOW_POLL_SECONDS,
            )
        else:
            with self.operator.context.locks(("object", key)):
                fresh = kube.get_object(self.operator.kube, kind.info.plural, key.namespace, key.name) or body
                outcome = runner.delete(
                    kind, ref, fresh.get("spec", {}), fresh.get("status"), self.operator.context, retry
                )
        status.apply_deletion(outcome, body, patch, logger)

    def _dependents_left(self, provided: list[Need]) -> tuple[list[ObjectKey], bool]:
        """The objects whose own deletion has AWS work that needs what a provider being deleted
        provides: it withdraws only once they are gone. Whether they are deleted yet does not matter
        (deleted together, by a folder or a namespace, they reach the watch one by one and late under
        load). Found in the dependents registry, each confirmed by a read: one that is gone, no longer
        held or no longer needs it is dropped from the registry, so a missed event cannot hold a
        deletion. Reads stop at the first confirmed one (the names in the message are the registry's);
        also whether that one is being deleted."""
        dependents, api = self.operator.dependents, self.operator.kube
        wanted = set(provided)
        listed = dependents.held_needing(provided)
        for i, key in enumerate(listed):
            kind = managed(key.kind)
            body = kube.get_object(api, kind.info.plural, key.namespace, key.name)
            if body is None:
                dependents.waits(key, ())
                continue
            self._note_needs(key, kind, body)
            if FINALIZER in (body["metadata"].get("finalizers") or []) and wanted & set(kind.needs(body)):
                return listed[i:], bool(body["metadata"].get("deletionTimestamp"))
        return [], False


def object_meta(body: Mapping[str, Any]) -> ObjectMeta:
    meta = body["metadata"]
    appliers = [
        (str(entry.get("time") or ""), str(entry.get("manager") or ""))
        for entry in meta.get("managedFields") or []
        if "f:approvalStatus" in ((entry.get("fieldsV1") or {}).get("f:spec") or {})
    ]
    created = meta.get("creationTimestamp")
    return ObjectMeta(
        labels=dict(meta.get("labels") or {}),
        annotations=dict(meta.get("annotations") or {}),
        approval_applied_by=max(appliers)[1] if appliers else None,
        age_seconds=_since(str(created)) if created else None,
    )


@dataclass(frozen=True)
class ReconcileRequest:
    """The reconcile-now annotation's value a run answers (status.lastHandledReconcileAt)."""

    value: str


def _reconcile_requested(body: Mapping[str, Any]) -> ReconcileRequest | None:
    """The annotation's value when it asks for a run the status has not answered yet."""
    value = (body["metadata"].get("annotations") or {}).get(RECONCILE_REQUEST_ANNOTATION)
    answered = (body.get("status") or {}).get("lastHandledReconcileAt")
    return ReconcileRequest(str(value)) if value and value != answered else None


def _waits_for_finalizer(kind: ManagedKind[Any, Any], body: Mapping[str, Any]) -> bool:
    """An object whose deletion has AWS work to do is not reconciled before kopf's finalizer is on it:
    deleted meanwhile, it would leave behind what the run made."""
    policy = (body.get("spec") or {}).get("deletionPolicy", str(kind.info.default_deletion_policy))
    return policy == "Delete" and FINALIZER not in (body["metadata"].get("finalizers") or [])


def _deleting_for(body: Mapping[str, Any]) -> float:
    """Seconds since the object's deletion began."""
    stamp = body["metadata"].get("deletionTimestamp")
    return _since(str(stamp)) if stamp else 0.0


def _since(stamp: str) -> float:
    """Seconds since an API-server timestamp."""
    return (datetime.now(UTC) - datetime.fromisoformat(stamp.replace("Z", "+00:00"))).total_seconds()


def _needs_a_change(body: Mapping[str, Any]) -> bool:
    """Stalled for its generation by its spec or the config: no periodic re-run can help."""
    reason = readiness.stalled_reason(body)
    return reason is not None and (reason == "NotPermitted" or reason.startswith("Invalid"))


# Storage keys are decided once: changing them later makes every object look unhandled.
FINALIZER = "modelregistry.io/finalizer"


def register(dispatch_of: Any) -> None:
    """kopf's registration for every kind: the watch, and deletion where it has AWS work to do."""
    for kind in MANAGED_KINDS:
        _register(kind, dispatch_of)


def _register(kind: ManagedKind[Any, Any], dispatch_of: Any) -> None:
    default_policy = str(kind.info.default_deletion_policy)

    def delete(
        body: kopf.Body, retry: int, patch: kopf.Patch, memo: kopf.Memo, logger: Any, **_: Any
    ) -> None:
        dispatch_of(memo).delete(key_of(body), body, retry, patch, logger)

    # A finalizer only where deletion has AWS work to do: the objects whose policy is Delete.
    kopf.on.delete(
        *kind.info.selector,
        id=f"delete_{kind.handler_id}",
        when=lambda spec, **_: spec.get("deletionPolicy", default_policy) == "Delete",
    )(delete)
