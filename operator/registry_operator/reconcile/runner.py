"""One reconcile shape for every kind, and the one runner that drives it.

Each kind answers four questions about one object (Crossplane's managed-resource shape):

- `observe`: what AWS holds now, read together with what this object recorded in its status;
- `create`: bring into being what does not exist yet;
- `update`: bring what exists in line with the spec;
- `delete`: withdraw what this object applied (only what it recorded).

The runner owns everything else, the same way for every kind: spec validation, attributing the AWS
calls to the object, turning what a step raised into an outcome (the one table in `aws.facts`), and the
status fields the run ends with, so that a later failure never loses what an earlier step recorded.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel

from registry_operator.api.kinds import KindInfo
from registry_operator.aws import attribution
from registry_operator.aws.errors import AwsError
from registry_operator.reconcile import error_meaning, readiness
from registry_operator.reconcile.context import ReconcileContext
from registry_operator.reconcile.dependencies import Need
from registry_operator.reconcile.outcome import (
    Event,
    ObjectMeta,
    ObjectRef,
    Outcome,
    Retry,
    Stalled,
    State,
    parse_spec,
    retry_delay,
)

SpecT = TypeVar("SpecT", bound=BaseModel)
RunSpecT = TypeVar("RunSpecT")  # a validated spec; for a deletion possibly None
ObsT = TypeVar("ObsT", bound="Observation")

STALLED_RECHECK_SECONDS = error_meaning.STALLED_RECHECK_SECONDS
# Status fields every kind shares; the runner writes them, never a kind.
COMMON_STATUS_FIELDS = frozenset({"observedGeneration", "conditions", "kopf", "lastHandledReconcileAt"})


@dataclass
class Observation:
    """What `observe` found: does the object's AWS counterpart exist, and is it as the spec wants it."""

    exists: bool
    up_to_date: bool = True


@dataclass
class Run(Generic[RunSpecT]):
    """One reconcile (or deletion) of one object."""

    ref: ObjectRef
    spec: RunSpecT  # validated; a deletion of an object whose spec no longer validates reads raw_spec
    recorded: Mapping[str, Any]  # the status as last written: what earlier runs applied
    ctx: ReconcileContext
    raw_spec: Mapping[str, Any]
    attempt: int = 0
    # What the asker already observed in AWS (a List summary, a registry event): `observe` may take it
    # instead of reading AWS itself, where it says enough.
    hints: Sequence[Any] = ()
    meta: ObjectMeta = field(default_factory=ObjectMeta)
    status: dict[str, Any] = field(default_factory=dict)  # the kind's status fields this run ends with
    events: list[Event] = field(default_factory=list)
    conditions: list[tuple[str, bool, str, str]] = field(default_factory=list)
    resolved: dict[str, Any] = field(default_factory=dict)  # what prepare looked up for later steps
    # Writes the status as it stands to the object before an AWS write that must not be forgotten
    # (None: the caller writes the status once, at the end).
    checkpoint: Callable[[dict[str, Any]], None] | None = None
    # Whether the object was Ready for this spec when the run began: only then did a full observation
    # show every member applied, so that a hint's partial view can stand for the rest.
    was_ready: bool = False

    def event(self, reason: str, message: str, warning: bool = False) -> None:
        self.events.append(Event("Warning" if warning else "Normal", reason, message))

    def record(self, **fields: Any) -> None:
        """Set status fields (camelCase); None removes one that no longer applies."""
        for key, value in fields.items():
            if value is None:
                self.status.pop(key, None)
            else:
                self.status[key] = value

    def region(self, spec_region: str | None) -> str:
        """The region recorded at the first reconcile wins: a later change of defaultRegion moves nothing."""
        return str(self.recorded.get("region") or spec_region or self.ctx.config.default_region)

    def keep_region(self, spec_region: str | None) -> str:
        """Resolve the region, record it, and say so when a changed defaultRegion did not move the object."""
        region = self.region(spec_region)
        default = self.ctx.config.default_region
        if "region" in self.recorded and spec_region is None and region != default:
            self.event(
                "RegionKept",
                f"stays in {region}, where it was first reconciled; the operator's defaultRegion is now "
                f"{default} (set spec.region on new objects to choose)",
            )
        self.record(region=region)
        return region

    def outcome(self, state: State, reason: str, message: str, retry_after: float | None = None) -> Outcome:
        return Outcome(
            state, reason, message, dict(self.status), list(self.events), retry_after, self.conditions
        )


class ManagedKind(ABC, Generic[SpecT, ObsT]):
    """One kind: its API facts, what the operator does per object (observe / create / update / report /
    delete, see the module docstring), and everything else that is per kind: how its handlers are named,
    what it needs from other objects and provides to them, and what is re-checked when."""

    info: ClassVar[KindInfo]
    # Names kopf's deletion handler `delete_<handler_id>`; kept across releases so that an upgrade finds
    # the progress kopf recorded for a deletion in flight.
    handler_id: ClassVar[str]
    # Run again at every operator start even when settled (what AWS holds may have changed meanwhile and
    # nothing periodic looks at it); few objects, so cheap.
    recheck_on_start: ClassVar[bool] = False
    # Run again every resync interval: what it applied in AWS can be undone there and nothing else sees it.
    periodic: ClassVar[bool] = False
    # Views of its objects that other objects' runs read, as kopf indexes (index id -> what one object
    # contributes); kopf fills them from its initial listing before any handler runs.
    indexes: ClassVar[Mapping[str, Callable[[Mapping[str, Any]], dict[Any, Any] | None]]] = {}
    # Its objects hold model packages: the package views (which object holds which package, what the
    # periodic listing observes) are kept of them.
    holds_packages: ClassVar[bool] = False

    @property
    def kind(self) -> str:
        return self.info.kind

    @classmethod
    def status_fields(cls) -> frozenset[str]:
        """The kind's own status fields (camelCase), which its runs own and may remove."""
        names = {info.alias or name for name, info in cls.info.status_model.model_fields.items()}
        return frozenset(names - COMMON_STATUS_FIELDS)

    def settled(self, body: Mapping[str, Any], cluster: str) -> bool:
        """Whether nothing is to be done for the object until something changes (Ready for its
        generation): no watch event of it asks for a run, and an operator restart leaves it to the
        periodic observation."""
        return readiness.ready_for_generation(body)

    def needs(self, body: Mapping[str, Any]) -> list[Need]:
        """What the object needs from other objects; a change of any of them reconciles it."""
        return []

    def provides(self, body: Mapping[str, Any]) -> tuple[list[Need], Hashable] | None:
        """What the object provides to others, and the state of it they depend on (a change of that
        state reconciles them); None for a kind nothing depends on."""
        return None

    def prepare(self, run: Run[SpecT]) -> None:
        """Checks beyond the schema: authorization, references to other objects. Raises Stalled or Retry."""

    @abstractmethod
    def observe(self, run: Run[SpecT]) -> ObsT: ...

    @abstractmethod
    def create(self, run: Run[SpecT], observed: ObsT) -> ObsT: ...

    @abstractmethod
    def update(self, run: Run[SpecT], observed: ObsT) -> ObsT: ...

    @abstractmethod
    def report(self, run: Run[SpecT], observed: ObsT) -> Outcome:
        """The outcome of a run that raised nothing: Ready, or what is still pending in AWS."""

    @abstractmethod
    def delete(self, run: Run[SpecT | None]) -> Outcome | None:
        """Withdraw what the object applied (as recorded in its status); None when there is nothing to do.
        A target that is already gone counts as withdrawn (`error_meaning.target_gone`). `run.spec` is None
        when the spec no longer validates: deletion never depends on it."""


AnyKind = ManagedKind[Any, Any]
Raw = Mapping[str, Any]  # a spec or a status as the API server holds it


def _recorded(kind: AnyKind, raw_status: Raw | None) -> dict[str, Any]:
    fields = kind.status_fields()
    return {k: v for k, v in (raw_status or {}).items() if k in fields and v is not None}


def _failed(run_status: dict[str, Any], run: Run[Any] | None, exc: Exception, attempt: int) -> Outcome:
    events = list(run.events) if run else []
    conditions = list(run.conditions) if run else []
    if isinstance(exc, Stalled):
        return Outcome(State.STALLED, exc.reason, exc.message, run_status, events, None, conditions)
    if isinstance(exc, Retry):
        return Outcome(State.PROGRESSING, exc.reason, exc.message, run_status, events, exc.delay, conditions)
    assert isinstance(exc, AwsError)
    m = error_meaning.meaning(exc)
    if m.meaning is error_meaning.Meaning.STALLED:
        return Outcome(State.STALLED, m.reason, m.message, run_status, events, m.recheck, conditions)
    return Outcome(
        State.PROGRESSING,
        m.reason,
        m.message,
        run_status,
        events,
        retry_delay(attempt, m.base_delay),
        conditions,
    )


def reconcile(
    kind: AnyKind, ref: ObjectRef, raw_spec: Raw, raw_status: Raw | None, ctx: ReconcileContext,
    attempt: int = 0, checkpoint: Callable[[dict[str, Any]], None] | None = None, hints: Sequence[Any] = (),
    meta: ObjectMeta | None = None,
) -> Outcome:  # fmt: skip
    """Observe, then create or update, then report; whatever a step raises becomes the outcome, with
    every status field recorded up to that point."""
    recorded = _recorded(kind, raw_status)
    run: Run[Any] | None = None
    with attribution.acting_for(ref.namespace, ref.name, ref.uid):
        try:
            spec = parse_spec(kind.info.spec_model, dict(raw_spec))
            run = Run(
                ref,
                spec,
                recorded,
                ctx,
                dict(raw_spec),
                attempt,
                hints=hints,
                meta=meta or ObjectMeta(),
                status=dict(recorded),
                checkpoint=checkpoint,
                was_ready=readiness.ready_for_generation(
                    {"metadata": {"generation": ref.generation}, "status": raw_status or {}}
                ),
            )
            kind.prepare(run)
            observed = kind.observe(run)
            if not observed.exists:
                observed = kind.create(run, observed)
            elif not observed.up_to_date:
                observed = kind.update(run, observed)
            outcome = kind.report(run, observed)
            outcome.observed = True
            return outcome
        except (Stalled, Retry, AwsError) as exc:
            return _failed(run.status if run else dict(recorded), run, exc, attempt)


def delete(
    kind: AnyKind,
    ref: ObjectRef,
    raw_spec: Raw,
    raw_status: Raw | None,
    ctx: ReconcileContext,
    attempt: int = 0,
) -> Outcome | None:
    """Withdraw what the object recorded; None when there was nothing to withdraw. A spec that no longer
    validates still names what to withdraw through the status, so deletion never depends on it."""
    recorded = _recorded(kind, raw_status)
    with attribution.acting_for(ref.namespace, ref.name, ref.uid):
        spec: BaseModel | None
        try:
            spec = kind.info.spec_model.model_validate(dict(raw_spec))
        except ValueError:
            spec = None
        run = Run(ref, spec, recorded, ctx, dict(raw_spec), attempt, status=dict(recorded))
        try:
            return kind.delete(run)
        except (Stalled, Retry, AwsError) as exc:
            return _failed(run.status, run, exc, attempt)
