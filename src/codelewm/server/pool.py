"""Where scoring runs: bounded threads, a queue limit, a slot kept for light requests, a deadline.

admission   character limits (the route, on the event loop), then, for a request of at most
            `light_request_chars`, its tokens on a separate thread: token limits (413) and its
            cost (before tokens x candidate tokens) decide whether it is light
slots       `max_concurrency` threads; a heavy request also needs one of the
            `max_concurrency - 1` heavy permits, so one slot is always left for light requests
            (a trivial request is answered while heavy ones run)
queue       at most `max_queue` requests wait for a slot; 503 beyond that
deadline    `request_timeout_s` from arrival, queueing included: 504 at once, and the work itself
            stops at its next check (`scoring.deadline`) and gives its slot back
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from codelewm.errors import DeadlineExceeded
from codelewm.scoring.deadline import check_deadline, deadline_scope
from codelewm.server.limits import Refused, TokenBudget
from codelewm.server.schemas import ServerLimits

T = TypeVar("T")


class ScoringPool:
    """Runs blocking scoring calls on bounded threads (see the module docstring)."""

    def __init__(self, limits: ServerLimits, budget: TokenBudget) -> None:
        self.limits = limits
        self.budget = budget
        self.slots = asyncio.Semaphore(limits.max_concurrency)
        self.heavy = asyncio.Semaphore(max(1, limits.max_concurrency - 1))
        self.executor = ThreadPoolExecutor(
            max_workers=limits.max_concurrency, thread_name_prefix="codelewm-score"
        )
        self.admission = ThreadPoolExecutor(max_workers=1, thread_name_prefix="codelewm-admit")
        self.waiting = 0

    async def run(
        self, fn: Callable[[], T], *, before: str, candidates: Sequence[str], chars: int
    ) -> T:
        """`fn()` on a scoring thread, after the token checks, within the request's deadline."""
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + self.limits.request_timeout_s
        light, measured = False, False
        if chars <= self.limits.light_request_chars:
            admit = loop.run_in_executor(self.admission, self.budget.measure, before, candidates)
            try:
                cost = await asyncio.wait_for(admit, self._left(deadline, "checking the size"))
            except TimeoutError:
                raise _timeout(self.limits, "checking the size") from None
            light, measured = cost <= self.limits.light_request_cost, True
        held = await self._acquire(light, deadline)
        work: Future[T] = self.executor.submit(
            _within, deadline, fn if measured else _measured(self.budget, before, candidates, fn)
        )
        # The slots go back when the work ends, not when the client gets its 504: a timed-out
        # request's work holds them until its next deadline check.
        work.add_done_callback(lambda _: _call_soon(loop, held))
        try:
            # on timeout wait_for cancels `work`: a call still queued for a thread never starts
            return await asyncio.wait_for(
                asyncio.wrap_future(work), self._left(deadline, "scoring")
            )
        except (DeadlineExceeded, TimeoutError):
            raise _timeout(self.limits, "scoring") from None

    async def _acquire(self, light: bool, deadline: float) -> list[asyncio.Semaphore]:
        """The semaphores this request holds once it may run: [slot] or [heavy permit, slot]."""
        needed = [self.slots] if light else [self.heavy, self.slots]
        if any(s.locked() for s in needed) and self.waiting >= self.limits.max_queue:
            raise Refused(503, "ServerBusy", f"{self.waiting} requests are already waiting")
        held: list[asyncio.Semaphore] = []
        self.waiting += 1
        try:
            for semaphore in needed:
                await _acquire_by(semaphore, deadline, self.limits)
                held.append(semaphore)
        except BaseException:
            for semaphore in held:
                semaphore.release()
            raise
        finally:
            self.waiting -= 1
        return held

    def _left(self, deadline: float, during: str) -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise _timeout(self.limits, during)
        return left

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.admission.shutdown(wait=False, cancel_futures=True)


async def _acquire_by(semaphore: asyncio.Semaphore, deadline: float, limits: ServerLimits) -> None:
    acquire = asyncio.ensure_future(semaphore.acquire())
    try:
        done, _ = await asyncio.wait({acquire}, timeout=max(deadline - time.monotonic(), 0))
    except BaseException:  # the client went away while waiting
        if not acquire.cancel():
            semaphore.release()
        raise
    if not done:
        if not acquire.cancel():  # it won the slot just now and cannot be cancelled: give it back
            semaphore.release()
        raise _timeout(limits, "waiting for a free slot")


def _call_soon(loop: asyncio.AbstractEventLoop, held: list[asyncio.Semaphore]) -> None:
    """Release `held` on the event loop (a done callback of a thread's future runs on that thread)."""

    def release() -> None:
        for semaphore in held:
            semaphore.release()

    with contextlib.suppress(RuntimeError):  # the loop is closed: the server has stopped
        loop.call_soon_threadsafe(release)


def _within(deadline: float, fn: Callable[[], T]) -> T:
    with deadline_scope(deadline):
        check_deadline()  # it may have waited for a thread past its deadline
        return fn()


def _measured(
    budget: TokenBudget, before: str, candidates: Sequence[str], fn: Callable[[], T]
) -> Callable[[], T]:
    """`fn` after the token checks of a heavy request (run on its scoring thread, not the loop)."""

    def run() -> T:
        budget.measure(before, candidates)
        check_deadline()
        return fn()

    return run


def _timeout(limits: ServerLimits, during: str) -> Refused:
    return Refused(
        504,
        "Timeout",
        f"the request took longer than {limits.request_timeout_s:g} s ({during}); its work was "
        "stopped",
        "Send fewer or smaller candidates (limits: GET /v1/model), or raise --timeout.",
    )
