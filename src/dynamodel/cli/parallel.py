"""Writing two groups of artifacts at once, one in a forked child process.

`dynamodel design --out` on a large spec spends most of its time making text: the artifacts
that show sample items (the HTML report and the Workbench model, with the samples they share)
take about as long as all the others together. On a machine with two or more cores those are
made and written by a child process (forked, so it shares the design already built instead of
pickling it) while this process writes the rest, and then appends what it made for the
child's files (the HTML report's second half, which needs no samples). Without `os.fork`
(Windows) or with one core, both groups are written here, one after the other. Either way the
files are the same.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import click
import typer

from dynamodel.cli.common import EXIT_INTERNAL, append_files, stderr, write_files

Files = dict[str, str]


def write_in_parallel(
    out: Path,
    child: Callable[[], Files],
    here: Callable[[], Files],
    *,
    appended: Callable[[], Files] | None = None,
) -> None:
    """Write `child()`'s files from a forked process and `here()`'s from this one; then, made
    here meanwhile, append `appended()`'s texts to the child's files of the same paths. Exit
    as `write_files` does if either process fails."""
    if not hasattr(os, "fork") or (os.cpu_count() or 1) < 2:
        files = child()
        for path, text in (appended() if appended else {}).items():
            files[path] += text
        write_files(out, {**files, **here()})
        return
    sys.stdout.flush()  # nothing buffered may be written twice
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        os._exit(_run_child(out, child))
    try:
        write_files(out, here())
        tails = appended() if appended else {}
    finally:
        _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise typer.Exit(code)
    append_files(out, tails)


def _run_child(out: Path, child: Callable[[], Files]) -> int:  # pragma: no cover - in the child
    try:
        write_files(out, child())
    except (typer.Exit, click.exceptions.Exit) as exit_:  # write_files's own, already said
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
