"""The work queue every run goes through (client-go's semantics), the dependents a provider's change wakes,
and which body a run starts from."""

from __future__ import annotations

import asyncio
from typing import Any

from registry_operator.handlers.dispatch import _Echoes
from registry_operator.process.workqueue import Ask, WorkQueue
from registry_operator.reconcile.dependencies import Dependents, Need, ObjectKey


class Recording:
    """A work function that records each run and can be held open."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, set[str], list[Any]]] = []
        self.running = 0
        self.most_at_once = 0
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self, key: str, ask: Ask) -> bool:
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        self.runs.append((key, set(ask.reasons), list(ask.hints)))
        await self.release.wait()
        self.running -= 1
        return True


async def _serving(queue: WorkQueue[str], seconds: float) -> None:
    task = asyncio.create_task(queue.serve())
    await asyncio.sleep(seconds)
    task.cancel()


def test_asks_for_one_key_merge_into_one_run() -> None:
    async def scenario() -> Recording:
        work = Recording()
        queue: WorkQueue[str] = WorkQueue(work, workers=2)
        queue.ask("a", "watch", hint=1)
        queue.ask("a", "dependency", hint=2)
        queue.ask("b", "watch")
        await _serving(queue, 0.1)
        return work

    work = asyncio.run(scenario())
    assert sorted(work.runs) == [("a", {"watch", "dependency"}, [1, 2]), ("b", {"watch"}, [])]


def test_a_key_asked_while_it_runs_runs_once_more_after_never_twice_at_once() -> None:
    async def scenario() -> Recording:
        work = Recording()
        work.release.clear()
        queue: WorkQueue[str] = WorkQueue(work, workers=4)
        serving = asyncio.create_task(queue.serve())
        queue.ask("a", "watch")
        await asyncio.sleep(0.05)
        queue.ask("a", "retry")
        queue.ask("a", "dependency")
        await asyncio.sleep(0.05)
        assert work.running == 1 and len(work.runs) == 1  # the second ask waits for the first run
        work.release.set()
        await asyncio.sleep(0.1)
        serving.cancel()
        return work

    work = asyncio.run(scenario())
    assert [r[1] for r in work.runs] == [{"watch"}, {"retry", "dependency"}]
    assert work.most_at_once == 1


def test_delayed_asks_wait_and_a_sooner_ask_brings_them_forward() -> None:
    async def scenario() -> tuple[Recording, float]:
        work = Recording()
        queue: WorkQueue[str] = WorkQueue(work, workers=1)
        serving = asyncio.create_task(queue.serve())
        queue.ask("late", "retry", delay=30.0)
        queue.ask("soon", "retry", delay=0.1)
        await asyncio.sleep(0.05)
        assert work.runs == [] and queue.depth() == 2
        await asyncio.sleep(0.15)
        assert [r[0] for r in work.runs] == ["soon"]
        started = asyncio.get_running_loop().time()
        queue.ask("late", "dependency")  # comes now, not in 30 s, with both reasons
        await asyncio.sleep(0.05)
        serving.cancel()
        return work, asyncio.get_running_loop().time() - started

    work, _ = asyncio.run(scenario())
    assert work.runs[1] == ("late", {"retry", "dependency"}, [])


def test_at_most_workers_runs_at_once_and_forget_drops_an_ask() -> None:
    async def scenario() -> Recording:
        work = Recording()
        work.release.clear()
        queue: WorkQueue[str] = WorkQueue(work, workers=3)
        serving = asyncio.create_task(queue.serve())
        for i in range(10):
            queue.ask(f"k{i}", "watch")
        queue.forget("k9")
        await asyncio.sleep(0.05)
        assert work.running == 3
        work.release.set()
        await asyncio.sleep(0.1)
        serving.cancel()
        return work

    work = asyncio.run(scenario())
    assert work.most_at_once == 3
    assert sorted(r[0] for r in work.runs) == [f"k{i}" for i in range(9)]


# --------------------------------------------------------------------------- dependents

V1, V2, A1 = (ObjectKey("ModelVersion", "ml", n) for n in ("v1", "v2", "a1"))
GROUP = Need("ModelPackageGroup", "ml", "group", "iris")


def test_a_provider_wakes_what_needs_it_when_its_state_changes_only() -> None:
    deps = Dependents()
    deps.waits(V1, [GROUP])
    deps.waits(V2, [Need("ModelPackageGroup", "ml", "name", "iris")])
    assert deps.provider_seen("g", [GROUP], ("not ready",)) == [V1]  # first sight
    assert deps.provider_seen("g", [GROUP], ("not ready",)) == []  # nothing changed
    assert deps.provider_seen("g", [GROUP], ("ready",)) == [V1]
    deps.waits(V1, [])  # settled: no longer waits
    assert deps.provider_seen("g", [GROUP], ("ready", "again")) == []
    deps.waits(V1, [GROUP])
    assert deps.provider_seen("g", [GROUP], None) == [V1]  # gone
    assert len(deps) == 2


def test_a_provider_being_deleted_waits_for_dependents_whose_deletion_needs_it() -> None:
    deps = Dependents()
    deps.waits(V1, [GROUP], held=True)  # its deletion needs the group, begun or not
    deps.waits(V2, [GROUP])  # waiting, no finalizer: its deletion needs nothing of the group
    deps.waits(A1, [GROUP], held=True)
    assert deps.held_needing([GROUP]) == [A1, V1]
    deps.waits(V1, [GROUP], held=False)  # its finalizer is gone
    deps.waits(A1, [])  # deleted
    assert deps.held_needing([GROUP]) == []


# --------------------------------------------------------------------------- echoes


def _body(rv: str, generation: int = 1) -> dict[str, Any]:
    return {"metadata": {"resourceVersion": rv, "generation": generation}}


def test_a_run_starts_from_its_own_write_until_the_watch_delivers_it() -> None:
    echoes, key = _Echoes(), V1
    with echoes.running(key):
        echoes.wrote(key, _body("5"))
    older = _body("4")
    assert echoes.newest(key, older) == _body("5")  # delivered before the write: older
    assert not echoes.delivered(key, older)
    assert echoes.delivered(key, _body("5"))  # the echo: nothing to ask
    assert echoes.newest(key, _body("6")) == _body("6")  # after the echo, events are newer


def test_what_the_watch_delivers_during_a_run_is_decided_by_the_run() -> None:
    echoes, key = _Echoes(), V1
    with echoes.running(key) as during:
        assert echoes.delivered(key, _body("5"))  # the watch was faster than the run's thread: no ask
        echoes.wrote(key, _body("5"))
    assert not during.others  # only its own write: nothing to run again for
    assert echoes.newest(key, _body("6", generation=2)) == _body("6", generation=2)
    assert echoes.newest(key, None) is None  # nothing known: the run reads the object afresh
    with echoes.running(key) as during:
        assert echoes.delivered(key, _body("7"))  # someone else's change while it runs
        echoes.wrote(key, _body("8"))
    assert during.others  # so it runs again at once


def test_a_later_generation_beats_an_undelivered_write() -> None:
    echoes, key = _Echoes(), V1
    echoes.wrote(key, _body("5", generation=1))
    spec_changed = _body("7", generation=2)
    assert echoes.newest(key, spec_changed) == spec_changed
    assert echoes.newest(key, None) is None
