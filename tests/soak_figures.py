"""The summary lines of the proxy soaks (tests/soak_run.py), for the terminal summary
(tests/conftest.py); kept apart so the summary hook imports no example package."""

from __future__ import annotations

__all__ = ["SOAK_FIGURES"]

SOAK_FIGURES: list[str] = []  # appended to by soak runs in the pytest process
