"""`--snippet` of `dynamodel cloudformation` and `dynamodel iam`: the stacks' resources alone,
for a template of your own (see dynamodel.compiler.emit.snippets)."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal, NoReturn

import typer

from dynamodel.cli.common import EXIT_USAGE, stderr
from dynamodel.compiler.codegen import default_package_name, is_package_name
from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.emit.table_link import TABLE_ID

if TYPE_CHECKING:
    from dynamodel.compiler.emit.iam_plan import PolicyPlan

TableIdOption = Annotated[
    str,
    typer.Option(
        "--table-id",
        help="With --snippet: the logical id of the table resource in your template (the one "
        "the table's snippet defines, and the others refer to).",
    ),
]


def _usage(message: str) -> NoReturn:
    stderr().print(f"dynamodel: {message}", markup=False)
    raise typer.Exit(EXIT_USAGE)


def _options(**values: str | None) -> str:
    """The options of the regenerate command that differ from their defaults."""
    return "".join(
        f" --{name.replace('_', '-')} {shlex.quote(value)}"
        for name, value in values.items()
        if value is not None
    )


def _emit(snippet_of: Any, *, command: str, fmt: Literal["yaml", "json"]) -> None:
    # Imported here: only --snippet needs them, and every command starts faster without them.
    from dynamodel.compiler.emit.copies_stack import NoCopiesError
    from dynamodel.compiler.emit.snippets import emit_snippet

    try:
        snippet = snippet_of()
    except (ValueError, NoCopiesError) as exc:  # a bad --table-id or --table-name, no copies
        _usage(str(exc))
    sys.stdout.write(emit_snippet(snippet, command=command, fmt=fmt))


def print_cloudformation_snippet(
    design: Design,
    *,
    copies: bool,
    package: str | None,
    table_id: str,
    table_name: str | None,
    fmt: Literal["yaml", "json"],
) -> None:
    """Print the table's snippet, or the copies handler's with `copies`; exit 2 on bad usage."""
    table_id_option = table_id if table_id != TABLE_ID else None
    if not copies:
        if package is not None:
            _usage("--package applies to --copies (the table's snippet names no package)")
        command = "dynamodel cloudformation SPEC --snippet" + _options(
            table_id=table_id_option, table_name=table_name
        )
        from dynamodel.compiler.emit.snippets import table_snippet

        _emit(
            lambda: table_snippet(design, table_id=table_id, table_name=table_name),
            command=command,
            fmt=fmt,
        )
        return
    if table_name is not None:
        _usage("--table-name applies to the table's snippet (with --copies, name the table's id)")
    default = default_package_name(design)
    name = package or default
    if not is_package_name(name):
        _usage(f"--package {name!r} is not an importable name (an identifier, not a keyword)")
    command = "dynamodel cloudformation SPEC --copies --snippet" + _options(
        package=name if name != default else None, table_id=table_id_option
    )
    from dynamodel.compiler.emit.snippets import copies_snippet

    _emit(lambda: copies_snippet(design, package=name, table_id=table_id), command=command, fmt=fmt)


def print_policy_snippet(
    design: Design,
    plans: Sequence[PolicyPlan],
    *,
    table_id: str,
    command: str,
    fmt: Literal["yaml", "json"],
) -> None:
    """Print the managed policies' snippet; `command` is the policy stack's regenerate
    command, without the snippet's options."""
    command += " --snippet" + _options(table_id=table_id if table_id != TABLE_ID else None)
    from dynamodel.compiler.emit.snippets import policy_snippet

    _emit(lambda: policy_snippet(design, plans, table_id=table_id), command=command, fmt=fmt)


__all__ = ["TABLE_ID", "TableIdOption", "print_cloudformation_snippet", "print_policy_snippet"]
