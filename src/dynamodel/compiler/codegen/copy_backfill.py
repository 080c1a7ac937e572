"""The generated backfill of denormalized copies (`copy_of`):
`backfill_<holder>_copies_of_<source>()`, which calls `Repository.migrate_copies` (see
`dynamodel.runtime.migrate.copies`)."""

from __future__ import annotations

import textwrap

from dynamodel.compiler.codegen.migration_parts import BackfillCode
from dynamodel.compiler.codegen.python import py
from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.diff.types import Backfill


def copy_backfill(backfill: Backfill, design: Design) -> BackfillCode:
    holder, (source,) = backfill.entity, backfill.sources
    return BackfillCode(
        function=backfill.function,
        runtime=(),
        models=(holder,),
        helpers="",
        summary=f"Fill every stored {holder}'s copies of its {source} ({backfill.attribute}):",
        notes=textwrap.fill(
            f"Each {holder} that names a {source} is updated from the {source} as stored, "
            "under the condition that it holds an older copy (or none), exactly as the stream "
            "handler updates it: safe beside the handler and beside writes, and a second run "
            f"changes nothing. A {holder} whose {source} does not exist is left as it is and "
            "named in the report's conflicts.",
            width=88,
            initial_indent="    ",
            subsequent_indent="    ",
        )
        + "\n",
        call=f"migrate_copies(\n        {holder},\n        {py(source)},\n",
    )
