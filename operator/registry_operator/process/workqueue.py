"""The queue every reconcile passes through, whatever asked for it: a watch event, a provider an object
waits on, the periodic resync, a registry event, a request to look now.

It keeps the semantics of client-go's workqueue, which controllers built on controller-runtime rely on:
- a key is queued at most once: asking again for a queued key merges the asks (the earliest time wins,
  the hints and reasons add up);
- a key is worked on by one worker at a time; asked again while it is being worked on, it runs once
  more afterwards, with everything asked meanwhile;
- an ask may be for later (a retry after a delay); an ask for sooner brings it forward;
- at most `workers` keys are worked on at once, oldest due first.

Written here because no maintained Python library offers these semantics outside a whole framework
(kopf's own per-object queues serve its change handlers, which cannot be asked to run from outside).
Runs on one asyncio loop; `ask_threadsafe` is for callers on other threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)

log = logging.getLogger("registry_operator.queue")


@dataclass
class Ask:
    """Everything asked of one key since it last ran."""

    due: float
    reasons: set[str] = field(default_factory=set)
    hints: list[Any] = field(default_factory=list)  # observations the askers already hold
    body: Mapping[str, Any] | None = None  # the object as the newest watch event had it, if one asked
    # Askers waiting for the run: each gets what the work answered (whether it did what was asked).
    waiters: list[asyncio.Future[bool]] = field(default_factory=list)

    def merge(self, other: Ask) -> None:
        self.due = min(self.due, other.due)
        self.reasons |= other.reasons
        self.hints.extend(other.hints)
        self.waiters.extend(other.waiters)
        if other.body is not None:
            self.body = other.body

    def answer(self, done: bool) -> None:
        for waiter in self.waiters:
            if not waiter.done():
                waiter.set_result(done)


class WorkQueue(Generic[K]):
    def __init__(self, work: Callable[[K, Ask], Awaitable[bool]], workers: int) -> None:
        self._work = work
        self._workers = max(1, workers)
        self._pending: dict[K, Ask] = {}
        self._heap: list[tuple[float, int, K]] = []
        self._active: set[K] = set()
        self._again: dict[K, Ask] = {}  # asked while being worked on
        self._seq = itertools.count()
        self._changed: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # ------------------------------------------------------------------ asking

    def ask(
        self,
        key: K,
        reason: str,
        delay: float = 0.0,
        hint: Any = None,
        body: Mapping[str, Any] | None = None,
        waiter: asyncio.Future[bool] | None = None,
    ) -> None:
        """Ask for a run of `key` after `delay` seconds (on the queue's loop); `waiter` gets whether the
        run that takes this ask did what was asked."""
        now = self._now()
        hints = [hint] if hint is not None else []
        ask = Ask(now + max(0.0, delay), {reason}, hints, body, [waiter] if waiter is not None else [])
        if key in self._active:
            held = self._again.get(key)
            if held is None:
                self._again[key] = ask
            else:
                held.merge(ask)
            return
        self._put(key, ask)

    def ask_threadsafe(self, key: K, reason: str, delay: float = 0.0, hint: Any = None) -> None:
        loop = self._loop
        if loop is None:
            raise RuntimeError("the work queue is not serving")
        loop.call_soon_threadsafe(lambda: self.ask(key, reason, delay, hint))

    def forget(self, key: K) -> None:
        """Drop what is asked of a key (its object is gone); a run in progress finishes. Whoever waits
        for a dropped ask is told it is done: there is nothing left to do it to."""
        for dropped in (self._pending.pop(key, None), self._again.pop(key, None)):
            if dropped is not None:
                dropped.answer(True)

    def depth(self) -> int:
        """Keys waiting to run (due or not), not counting those being worked on."""
        return len(self._pending) + len(self._again)

    def due(self) -> int:
        """Keys whose time has come and which wait for a worker."""
        now = self._now()
        return sum(1 for a in self._pending.values() if a.due <= now)

    def is_queued(self, key: K) -> bool:
        return key in self._pending or key in self._again or key in self._active

    # ------------------------------------------------------------------ serving

    async def serve(self) -> None:
        """Run the workers until cancelled."""
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        workers = [asyncio.create_task(self._worker(), name=f"work queue {i}") for i in range(self._workers)]
        try:
            await asyncio.gather(*workers)
        finally:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            self._loop = None

    async def _worker(self) -> None:
        while True:
            key, ask = await self._next()
            self._active.add(key)
            done = False
            try:
                done = await self._work(key, ask)
            except asyncio.CancelledError:
                raise
            except Exception:  # one key's failure must not stop the worker; the work logs its own
                log.exception(f"work on {key} failed")
            finally:
                ask.answer(done)
                self._active.discard(key)
                again = self._again.pop(key, None)
                if again is not None:
                    self._put(key, again)

    async def _next(self) -> tuple[K, Ask]:
        assert self._changed is not None
        while True:
            now = self._now()
            while self._heap:
                due, _, key = self._heap[0]
                ask = self._pending.get(key)
                if ask is None or ask.due != due:  # superseded or forgotten: a stale heap entry
                    heapq.heappop(self._heap)
                    continue
                if due > now:
                    break
                heapq.heappop(self._heap)
                del self._pending[key]
                return key, ask
            self._changed.clear()
            timeout = self._heap[0][0] - now if self._heap else None
            with contextlib.suppress(TimeoutError):  # a delayed ask has come due
                await asyncio.wait_for(self._changed.wait(), timeout)

    def _put(self, key: K, ask: Ask) -> None:
        held = self._pending.get(key)
        if held is not None:
            before = held.due
            held.merge(ask)
            if held.due == before:
                return
            ask = held
        self._pending[key] = ask
        heapq.heappush(self._heap, (ask.due, next(self._seq), key))
        if self._changed is not None:
            self._changed.set()

    @staticmethod
    def _now() -> float:
        return time.monotonic()  # what asyncio's default loop clock reads too
