"""Run one function on several threads at once and collect how each call ended."""

from __future__ import annotations

import threading
from collections.abc import Callable


def outcomes_of(
    workers: int, work: Callable[[int, threading.Barrier], None]
) -> dict[int, BaseException | None]:
    """Call `work(n, barrier)` on `workers` threads (the barrier lines them up where `work`
    waits on it); each outcome is None for a return, else the exception raised."""
    barrier = threading.Barrier(workers)
    outcomes: dict[int, BaseException | None] = {}

    def run(n: int) -> None:
        try:
            work(n, barrier)
            outcomes[n] = None
        except BaseException as error:  # every outcome is the caller's to check
            outcomes[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
