"""Pausing Python's cyclic garbage collector while the compiler builds large object graphs.

A 10,000-entity spec keeps a few million small objects alive (YAML nodes, the frozen spec and
design, sample items); each full collection walks them all, and allocation triggers one every
so often, so collections cost more than half of a large compile. The compiler's data has no
reference cycles to reclaim, and reference counting frees everything else at once, so the
collector is paused while a compile or an emit runs and restored after.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Disable the cyclic collector for the block; re-enable it after if it was enabled (so
    nested uses, and callers that disabled it themselves, are left as they were)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
