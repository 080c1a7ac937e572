"""`dynamodel try`: create the table, seed sample items, run every access pattern, show the
requests, the items and the capacity (see dynamodel/tryout/)."""

from __future__ import annotations

import enum
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from dynamodel.cli.common import EXIT_USAGE, SpecArgument, app, compile_file, stderr
from dynamodel.compiler.spec.model import TABLE_NAME


class TryFormat(enum.StrEnum):
    text = "text"
    json = "json"


@app.command("try")
def try_design(
    spec: SpecArgument,
    endpoint_url: Annotated[
        str | None,
        typer.Option(
            "--endpoint-url",
            help="A DynamoDB endpoint (moto_server, MiniStack, LocalStack, DynamoDB Local); "
            "default: an embedded DynamoDB in process.",
            show_default=False,
        ),
    ] = None,
    items: Annotated[
        int, typer.Option("--items", "-n", min=1, max=200, help="Sample records per entity.")
    ] = 3,
    keep: Annotated[
        bool,
        typer.Option(
            "--keep",
            help="Leave the table and its data (embedded: serve them on a local port until "
            "Ctrl-C).",
        ),
    ] = False,
    aws: Annotated[
        bool,
        typer.Option(
            "--aws", help="Use the AWS account of the environment's credentials (needs --yes)."
        ),
    ] = False,
    yes: Annotated[
        bool,
        typer.Option("--yes", "-y", help="Confirm creating a billed table in a real account."),
    ] = False,
    table: Annotated[
        str | None,
        typer.Option("--table", help="Table name (default: <table>-try).", show_default=False),
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="AWS region.", show_default=False)
    ] = None,
    format: Annotated[
        TryFormat, typer.Option("--format", "-f", help="How to print the results.")
    ] = TryFormat.text,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="With --keep on the embedded backend: log every request the local server "
            "serves on stderr.",
        ),
    ] = False,
) -> None:
    """Create the table, seed sample items, and run every access pattern against it."""
    # Imported here: the other commands need neither boto3 nor moto.
    from botocore.exceptions import BotoCoreError, ClientError

    from dynamodel.tryout.backend import BackendError, open_backend
    from dynamodel.tryout.report import emit_try_json, emit_try_text
    from dynamodel.tryout.runner import TryError, run_try

    err = stderr()
    if aws and not yes:
        err.print(
            "dynamodel: --aws creates a real table in your account (billed, on demand or as "
            "the spec says) and deletes it afterwards unless --keep; add --yes to go ahead",
            markup=False,
        )
        raise typer.Exit(EXIT_USAGE)
    result = compile_file(spec)
    assert result.design is not None
    design = result.design
    table_name = table or f"{design.table_name}-try"
    if not TABLE_NAME.match(table_name):
        err.print(
            f"dynamodel: --table {table_name!r} is not a table name dynamodel accepts (3-200 letters, "
            "digits, `_`, `-` or `.`)",
            markup=False,
        )
        raise typer.Exit(EXIT_USAGE)
    progress = Progress(
        TextColumn("seeding {task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        console=err,
        transient=True,
    )
    task = progress.add_task(table_name, total=None)
    try:
        with open_backend(
            endpoint_url=endpoint_url, aws=aws, keep=keep, region=region, verbose=verbose
        ) as backend:
            with progress:
                run = run_try(
                    design,
                    backend,
                    table_name=table_name,
                    per_entity=items,
                    keep=keep,
                    spec_name=Path(spec).name,
                    on_seed_start=lambda total: progress.update(task, total=total),
                    on_seeded=lambda: progress.advance(task),
                )
            text = emit_try_json(run) if format is TryFormat.json else emit_try_text(run)
            sys.stdout.write(text)
            sys.stdout.flush()
            if keep and endpoint_url is None and not aws:
                err.print(
                    f"serving {table_name} at {backend.endpoint_url} (e.g. `aws dynamodb scan "
                    f"--endpoint-url {backend.endpoint_url} --table-name {table_name}`); "
                    "press Ctrl-C to stop",
                    markup=False,
                )
                _wait_for_interrupt()
    except (BackendError, TryError) as error:
        err.print(f"dynamodel: {error}", markup=False)
        raise typer.Exit(EXIT_USAGE) from None
    except (BotoCoreError, ClientError) as error:  # unreachable, refused, access denied, ...
        where = endpoint_url or ("AWS" if aws else "the embedded DynamoDB")
        err.print(f"dynamodel: {where} failed: {error}", markup=False)
        raise typer.Exit(EXIT_USAGE) from None
    if run.seed_failures or any(p.error for p in run.patterns):
        raise typer.Exit(1)


def _wait_for_interrupt() -> None:
    """Block until Ctrl-C (SIGINT) or SIGTERM, then return so the server stops cleanly."""
    stop = signal.Signals.SIGTERM

    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(stop, interrupted)
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(stop, previous)
