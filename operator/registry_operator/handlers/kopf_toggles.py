"""kopf's wait for its indexes at start-up, without waking every waiting object for every listed one.

Before any handler runs, kopf fills every index (handlers/indexes.py): each object's worker drops its own
toggle in the ToggleSet `operator_indexed` and then waits, on that set's one asyncio.Condition, until
every toggle is gone. Every toggle made or dropped calls `notify_all()`, so with N objects listed about
N²/2 wake-ups happen, each re-taking the lock and re-checking the set (kopf 1.45.2:
`_core/reactor/processing.py` `process_resource_event`, `_cogs/aiokits/aiotoggles.py` `ToggleSet`). A
restart over 10,000 Ready ModelVersions took 429 s, 199 s of it operator CPU, in `make bench`.

Here one task per awaited state waits on the condition and the workers wait on an asyncio.Event that
task sets: each notify wakes one task. The set's meaning is unchanged (same toggles, same condition,
same `is_on`). kopf has no setting for this, hence a subclass; `install()` puts it where kopf's
orchestrator creates its sets (`aiotoggles.ToggleSet(...)`, looked up when the operator starts).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

from kopf._cogs.aiokits import aiotoggles

_KOPF_TOGGLE_SET = aiotoggles.ToggleSet


class SharedWaitToggleSet(_KOPF_TOGGLE_SET):
    """kopf's ToggleSet whose waiters share one wake-up per state instead of one each."""

    def __init__(self, fn: Callable[[Iterable[bool]], bool]) -> None:
        super().__init__(fn)
        self._reached: dict[bool, asyncio.Event] = {}
        self._watchers: set[asyncio.Task[None]] = set()

    async def wait_for(self, __state: bool) -> None:
        state = bool(__state)
        if self.is_on() == state:
            return
        reached = self._reached.get(state)
        if reached is None or reached.is_set():
            reached = self._reached[state] = asyncio.Event()
            watcher = asyncio.create_task(self._watch(state, reached), name=f"toggle set: {state}")
            self._watchers.add(watcher)  # held until done: the loop keeps only weak references
            watcher.add_done_callback(self._watchers.discard)
        await reached.wait()

    async def _watch(self, state: bool, reached: asyncio.Event) -> None:
        await super().wait_for(state)
        reached.set()


def install() -> None:
    """Have kopf create SharedWaitToggleSet wherever it creates a ToggleSet; before `kopf.run`."""
    aiotoggles.ToggleSet = SharedWaitToggleSet  # type: ignore[misc]
