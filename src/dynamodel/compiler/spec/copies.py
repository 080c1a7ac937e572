"""Spec 1.1 `copy_of`: what a denormalized copy adds to the spec the design stage sees.

A holder's copies of one source are kept current by the stream handler, which must find every
holder of a changed source. So each (holder, source) pair becomes an access pattern of its
own, `<holder>_copies_of_<source>`: the holders by the source's key attributes. The design
places it like any other pattern (usually in a partition or GSI that already exists), the
repository gets its list method, and the handler reads through that method. The table's
stream is turned on with both images, which the handler needs.
"""

from __future__ import annotations

from dataclasses import replace

from dynamodel.compiler.names import snake_case
from dynamodel.compiler.spec.model import AccessPattern, Ref, Spec

COPY_STREAM_VIEW = "new_and_old_images"


def lookup_name(holder: str, source: str) -> str:
    """The access pattern that finds the holders of one source item."""
    return f"{snake_case(holder)}_copies_of_{snake_case(source)}"


def copy_lookups(spec: Spec) -> tuple[AccessPattern, ...]:
    """One pattern per (holder, source) pair whose source and holder are both declared."""
    lookups = []
    for holder in spec.entities:
        for source_name, copies in spec.copies_in(holder):
            source = spec.entity(source_name)
            if source is None:
                continue
            pos = copies[0].copy_of[0].pos if copies[0].copy_of else holder.pos
            lookups.append(
                AccessPattern(
                    name=lookup_name(holder.name, source.name),
                    pos=pos,
                    entity=Ref(holder.name, pos),
                    by=tuple(Ref(name, pos) for name in source.key_names),
                )
            )
    return tuple(lookups)


def with_copy_lookups(spec: Spec) -> Spec:
    """The spec with each holder lookup added and the stream on, when any copy is declared
    (a checked spec: every copy names a known source whose key the holder carries)."""
    lookups = copy_lookups(spec)
    if not lookups:
        return spec
    table = spec.table if spec.table.stream else replace(spec.table, stream=COPY_STREAM_VIEW)
    return Spec(
        version=spec.version,
        table=table,
        entities=spec.entities,
        patterns=(*spec.patterns, *lookups),
        functions=spec.functions,
    )
