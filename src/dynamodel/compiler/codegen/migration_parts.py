"""What every generated migration and backfill function of `migrations.py` shares: the
options of the runtime's scan driver (`dynamodel.runtime.migrate.scan`), passed through
unchanged, and the docstring's bullets. A kind of backfill gives the rest (`BackfillCode`)."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

# The parameters after `repository`, and the arguments that pass them on.
OPTIONS = """    *,
    cursor: str | None = None,
    page_size: int = 100,
    max_pages: int | None = None,
    on_page: Callable[[MigrationReport], None] | None = None,
    segment: int | None = None,
    total_segments: int | None = None,
    max_units_per_second: float | None = None,
"""
PASS_ON = """        cursor=cursor,
        page_size=page_size,
        max_pages=max_pages,
        on_page=on_page,
        segment=segment,
        total_segments=total_segments,
        max_units_per_second=max_units_per_second,
"""
SEGMENTS_NOTE = """    With `segment` / `total_segments` it runs one segment of a parallel scan (run them all,
    in any processes); `max_units_per_second` holds it to a capacity budget.
"""


@dataclass(frozen=True)
class BackfillCode:
    """One generated backfill, as its kind writes it."""

    function: str  # backfill_<entity>_<attribute>
    runtime: tuple[str, ...]  # names it imports from dynamodel.runtime.migrate
    models: tuple[str, ...]  # models it imports from .models
    helpers: str  # module-level code before the function ("" or blocks ending in "\n")
    summary: str  # the docstring's first line, before the reasons
    notes: str  # the docstring's paragraph after the reasons (indented, ends with "\n")
    call: str  # the repository method and its leading arguments, one a line (indented)


def backfill_function(code: BackfillCode, repository: str, reasons: list[str]) -> str:
    doc = "\n".join(bullet(reason) for reason in reasons)
    return f'''{code.helpers}

def {code.function}(
    repository: {repository},
{OPTIONS}) -> MigrationReport:
    """{code.summary}

{doc}

{code.notes}
{SEGMENTS_NOTE}    """
    return repository.{code.call}{PASS_ON}    )
'''


def bullet(text: str) -> str:
    """A reason as a docstring bullet, wrapped, with what would end the docstring escaped."""
    safe = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return textwrap.fill(safe, width=88, initial_indent="    - ", subsequent_indent="      ")
