"""The `dynamodel` command line. The only place that reads specs from disk or writes files.

Exit codes: 0 success, 1 the spec has errors (or, for `diff`, a change that is not safe),
2 bad usage, 3 an internal error (a bug: please report it with the spec).

`common` holds the app and what commands share; each other module registers its commands on
the app when imported here.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from dynamodel import __version__
from dynamodel.cli import build, evolve, iam, tryout  # noqa: F401  (they register their commands)
from dynamodel.cli.common import app
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
    with collector_paused():
        app()


if __name__ == "__main__":
    main()
