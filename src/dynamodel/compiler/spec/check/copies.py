"""Checks of spec 1.1 `copy_of`: a copy names a plain attribute of another, versioned entity
whose key the holder carries, has the source's type, and is nothing a caller or a key sets."""

from __future__ import annotations

from dynamodel.compiler.spec.check.entity_options import EntityOptionChecks
from dynamodel.compiler.spec.copies import COPY_STREAM_VIEW, lookup_name
from dynamodel.compiler.spec.model import Attribute, Entity, Ref


class CopyChecks(EntityOptionChecks):
    def copies(self, entity: Entity) -> None:
        """Every `copy_of` of `entity`, and the holder-level rules once per source."""
        sources_seen: set[str] = set()
        for attribute in entity.attributes:
            if attribute.copy_of is None:
                continue
            source_ref, source_attribute_ref = attribute.copy_of
            source = self.entity_ref(source_ref, f"`copy_of` of `{entity.name}.{attribute.name}`")
            if source is None:
                continue
            if source.name not in sources_seen:
                sources_seen.add(source.name)
                self.copy_holder(entity, source, source_ref)
            self.copy(entity, attribute, source, source_attribute_ref)
        if sources_seen:
            self.copy_uses(entity)

    def copy_holder(self, holder: Entity, source: Entity, ref: Ref) -> None:
        """What a holder of copies of `source` needs: the source's key, and no aggregate."""
        where = f"`{holder.name}` copies from `{source.name}`"
        if source.name == holder.name:
            self.err(ref.pos, f"`{holder.name}` copies from itself", "copy another entity")
            return
        for entity, role in ((holder, "holder"), (source, "source")):
            if entity.members or self.spec.root_of(entity.name) is not None:
                self.err(
                    ref.pos,
                    f"{where}, but the {role} `{entity.name}` is part of an aggregate",
                    "copies are kept between plain entities: copy from or into the aggregate's "
                    "items outside it",
                )
                return
        if source.version is False:
            self.err(
                source.version_pos or ref.pos,
                f"`{source.name}` has `version: false`, but its copies record which version "
                "of it they hold",
                "remove `version: false`: a source of copies is always versioned",
            )
        for name in source.key_names:
            carried = holder.attribute(name)
            wanted = source.attribute(name)
            if carried is None:
                self.err(
                    ref.pos,
                    f"{where}, but it lacks `{name}`: a holder carries its source's key "
                    f"({', '.join(source.key_names)}) to find it",
                    f"declare `{name}` in `{holder.name}`",
                )
            elif wanted is not None and carried.type != wanted.type:
                self.err(
                    carried.pos,
                    f"`{holder.name}.{name}` is a {carried.type.render()}, but it names a "
                    f"`{source.name}` whose `{name}` is a {wanted.type.render()}",
                    f"declare it `{wanted.type.render()}`",
                )
        name = lookup_name(holder.name, source.name)
        clash = self.spec.pattern(name)
        if clash is not None:
            self.err(
                clash.pos,
                f"access pattern `{name}` has the name of the holder lookup that `copy_of` in "
                f"`{holder.name}` adds",
                "rename the access pattern",
            )

    def copy_stream(self) -> None:
        """The handler reads both images of each change: the stream, when set, has both."""
        stream = self.spec.table.stream
        holder = next((e for e in self.spec.entities if self.spec.copies_in(e)), None)
        if holder is not None and stream not in (None, COPY_STREAM_VIEW):
            self.err(
                self.spec.table.pos,
                f"the table's stream is `{stream}`, but the copies `{holder.name}` holds are "
                "kept from both images of each change",
                f"set `stream: {COPY_STREAM_VIEW}`, or leave `stream` out",
            )

    def copy(self, holder: Entity, attribute: Attribute, source: Entity, ref: Ref) -> None:
        """One copy: a known plain attribute of the source, of its type, optional."""
        where = f"`{holder.name}.{attribute.name}`"
        pos = ref.pos
        original = self.attribute_ref(source, ref, f"`copy_of` of {where}")
        if original is not None:
            if original.copy_of is not None:
                self.err(
                    pos,
                    f"{where} copies `{source.name}.{original.name}`, which is a copy itself",
                    f"copy `{original.copy_of[0].name}.{original.copy_of[1].name}` directly",
                )
            elif original.name in source.key_names:
                self.err(
                    pos,
                    f"{where} copies `{source.name}.{original.name}`, which is part of its key "
                    f"and so already in `{holder.name}`",
                    "read that attribute instead of a copy",
                )
            elif original.type != attribute.type:
                self.err(
                    pos,
                    f"{where} is a {attribute.type.render()}, but `{source.name}."
                    f"{original.name}` is a {original.type.render()}",
                    f"declare it `{original.type.render()}?`",
                )
        if not attribute.optional:
            self.err(
                pos,
                f"the copy {where} must be optional: a holder built by the caller holds no "
                "copy until it is written",
                f"declare it `{attribute.type.render()}?`",
            )
        for present, what in (
            (attribute.has_default, "`default`"),
            (attribute.auto is not None, "`auto`"),
            (bool(attribute.enum), "`enum`"),
            (attribute.ttl, "`ttl`"),
            (attribute.derived is not None, "`derived`"),
            (attribute.name in holder.key_names, "a place in the id or collection"),
        ):
            if present:
                self.err(
                    pos,
                    f"{where} is a copy, so it cannot have {what}",
                    "the source's writes set it; keep one of the two",
                )

    def copy_uses(self, holder: Entity) -> None:
        """A copy changes by events, after the holder is written: no key or guard uses it."""
        copies = {a.name for a in holder.attributes if a.copy_of is not None}
        used: list[tuple[Ref, str]] = [
            (ref, "`unique`") for composite in holder.unique for ref in composite
        ]
        for pattern in self.spec.patterns:
            if pattern.entity is not None and pattern.entity.name == holder.name:
                refs = (*pattern.by, *pattern.sort, *(r for r, _ in pattern.where))
                used += [(ref, f"access pattern `{pattern.name}`") for ref in refs]
            for field in pattern.view:
                if field.entity.name == holder.name:
                    by = field.by or pattern.by
                    refs = (*by, *pattern.sort, *(r for r, _ in field.where))
                    used += [(ref, f"view `{pattern.name}`") for ref in refs]
        for ref, context in used:
            if ref.name in copies:
                self.err(
                    ref.pos,
                    f"`{holder.name}.{ref.name}` is a copy, which the stream handler changes "
                    f"after the item is written, so {context} cannot use it",
                    "use the source's own attribute through its own access pattern",
                )
