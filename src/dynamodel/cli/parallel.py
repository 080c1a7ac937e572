"""Writing a group of artifacts from a forked child process, while this one writes the rest.

`dynamodel design --out` on a large spec spends most of its time compiling and making text.
The artifacts that show sample items (the HTML report and the Workbench model, with the
samples they share) take about as long as all the others together. On a machine with two or
more cores a child process is forked before the spec is compiled: it compiles the spec too
(the compiler is deterministic, so both get the same design) and writes those artifacts,
while this process writes the rest. Each process builds its own objects: forking after the
compile instead shares them copy-on-write, and touching them (reference counts) copied them a
page at a time in both processes, which cost more than compiling twice in parallel. Without
`os.fork` (Windows) or with one core, everything is made here, one after the other. Either
way the files are the same.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import typer

from dynamodel.cli.common import EXIT_INTERNAL, stderr, write_files

Files = dict[str, str]


class Child:
    """A forked process writing files; `wait()` gives its exit status."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def wait(self) -> int:
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)


def start_child(out: Path, work: Callable[[], Files | None]) -> Child | None:
    """Fork a process that writes `work()`'s files under `out` (nothing when it gives None)
    and exits; None, without forking, when there is no `os.fork` or only one core."""
    if not hasattr(os, "fork") or (os.cpu_count() or 1) < 2:
        return None
    sys.stdout.flush()  # nothing buffered may be written twice
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        os._exit(_run_child(out, work))
    return Child(pid)


def _run_child(out: Path, work: Callable[[], Files | None]) -> int:  # pragma: no cover
    try:
        files = work()
        if files is not None:
            write_files(out, files)
    except typer.Exit as exit_:  # write_files's own, already said
        return int(exit_.exit_code)
    except BaseException as exc:  # a bug: say so, as the parent would, without a traceback
        stderr().print(
            f"dynamodel: internal error while writing {out}: {type(exc).__name__}: {exc}\n"
            "This is a bug in dynamodel; please report it with the spec.",
            markup=False,
        )
        return EXIT_INTERNAL
    finally:
        sys.stderr.flush()
    return 0
