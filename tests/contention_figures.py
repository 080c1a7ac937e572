"""The figures of the contention runs (tests/test_contention.py), for the terminal summary
(tests/conftest.py): :func:`record_figures` adds a run to `CONTENTION_FIGURES` (run name ->
figure -> value; thread-safe), :func:`summary_lines` renders one line per run.
"""

from __future__ import annotations

import threading

__all__ = ["CONTENTION_FIGURES", "record_figures", "summary_lines"]

# Figures of the contention runs, for a terminal summary: run name -> figure -> value.
CONTENTION_FIGURES: dict[str, dict[str, int]] = {}
_FIGURES_LOCK = threading.Lock()


def record_figures(run: str, **figures: int) -> str:
    """Record the figures of one contention run; return its one-line summary."""
    with _FIGURES_LOCK:
        CONTENTION_FIGURES[run] = dict(figures)
    shown = ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in figures.items())
    return f"contention {run}: {shown}"


def summary_lines() -> list[str]:
    """One line per recorded contention run, in the order they ran."""
    with _FIGURES_LOCK:
        runs = list(CONTENTION_FIGURES.items())
    return [
        "contention "
        + run
        + ": "
        + ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in figures.items())
        for run, figures in runs
    ]
