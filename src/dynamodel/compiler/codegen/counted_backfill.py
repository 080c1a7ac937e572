"""The generated backfill of a counter (`counts:`): `backfill_<parent>_<counter>()`, which
calls `Repository.migrate_counter` (see `dynamodel.runtime.migrate.counted`) with, for each
counted entity, a function that says where a parent's items of it are: the table partition
and the sort-key prefix, rendered from the parent's key attributes
(`compiler/diff/backfills.children_query`)."""

from __future__ import annotations

import textwrap

from dynamodel.compiler.codegen.expressions import template_expression
from dynamodel.compiler.codegen.migration_parts import BackfillCode
from dynamodel.compiler.codegen.python import KEY_ENCODER, py
from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.diff.backfills import ChildrenQuery, children_query
from dynamodel.compiler.diff.types import Backfill
from dynamodel.compiler.names import snake_case


def counter_backfill(backfill: Backfill, design: Design) -> BackfillCode:
    parent = backfill.entity
    helpers = ""
    mapping = []
    for child in backfill.sources:
        query = children_query(design, child, parent)
        assert query is not None, "the diff generates a backfill only where one can count"
        helper = f"_{snake_case(child)}_items_of_{snake_case(parent)}"
        helpers += _where(design, query, helper, parent)
        mapping.append(f"{child}: {helper}")
    children = " and ".join(backfill.sources)
    return BackfillCode(
        function=backfill.function,
        runtime=("ChildQuery",),
        models=(parent, *backfill.sources),
        helpers=helpers,
        summary=(
            f"Set every stored {parent}'s {backfill.attribute} to its number of stored "
            f"{children} items, where:"
        ),
        notes=textwrap.fill(
            f"Each {parent}'s {children} items are counted with strongly consistent Queries, "
            f"and its {backfill.attribute} is set only if none of them was created or deleted "
            "while they were counted (else they are counted again): exact while they are "
            "written. A second run changes nothing.",
            width=88,
            initial_indent="    ",
            subsequent_indent="    ",
        )
        + "\n",
        call=(
            "migrate_counter(\n"
            f"        {parent},\n"
            f"        {py(backfill.attribute)},\n"
            f"        {{{', '.join(mapping)}}},\n"
        ),
    )


def _where(design: Design, query: ChildrenQuery, name: str, parent: str) -> str:
    child = design.spec.entity(query.child)
    assert child is not None
    partition = template_expression(child, query.partition, "parent")
    parts = []
    for segment in query.sort_prefix:
        if segment.kind == "literal":
            parts.append(py(segment.text))
        else:
            encoder = KEY_ENCODER[segment.type or "str"]
            parts.append(f"keys.{encoder}(parent.{segment.text}, attribute={py(segment.text)})")
    prefix = f"keys.join({', '.join(parts)})" + ("" if query.whole else " + '#'")
    if not parts:  # the parent fixes no leading sort segment: the whole partition
        prefix = "''"
    return f'''

def {name}(parent: {parent}) -> ChildQuery:
    """Where a {parent}'s {query.child} items are: {query.describe()}."""
    return ChildQuery(
        partition={partition},
        sort_prefix={prefix},
    )
'''
