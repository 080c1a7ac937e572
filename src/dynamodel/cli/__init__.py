"""The `dynamodel` command line. The only place that reads specs from disk or writes files.

Exit codes: 0 success, 1 the spec has errors (or, for `diff`, a change that is not safe),
2 bad usage, 3 an internal error (a bug: please report it with the spec).

`common` holds the app and what commands share; each other module registers its commands on
the app when imported here.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from dynamodel import __version__
from dynamodel.cli import build, cdk, evolve, iam, tryout  # noqa: F401  (they register their commands)
from dynamodel.cli.common import EXIT_HOLDER, app
from dynamodel.compiler.collector import collector_paused

__all__ = ["app", "main"]


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"dynamodel {__version__}\n")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """dynamodel: a declarative DynamoDB single-table design compiler."""


def main() -> None:
    # One command per process: the cyclic collector only slows large designs down (see
    # dynamodel.compiler.collector), and the process's exit frees everything anyway.
    EXIT_HOLDER.objects = []
    with collector_paused():
        try:
            # Named `dynamodel` under `python -m dynamodel` too: usage lines and the shell
            # completion script then name the installed command.
            app(prog_name="dynamodel")  # standalone mode: always ends by raising SystemExit
        except SystemExit as exit_:
            code = _exit_status(exit_.code)
        else:  # pragma: no cover - typer's standalone mode never returns
            code = 0
    # Leave without tearing down: freeing the millions of objects a large design holds one by
    # one takes longer than writing it (a second at 10,000 entities). Every file is closed
    # already; only the standard streams may hold buffered text.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _exit_status(code: object) -> int:
    """What `sys.exit(code)` would make the process's status: a message is printed, and 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    sys.stderr.write(f"{code}\n")
    return 1


if __name__ == "__main__":
    main()
