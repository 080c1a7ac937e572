"""Checks of an entity's spec 1.1 options: `derived` attributes, `counts`, `collection`."""

from __future__ import annotations

from dynamodel.compiler.spec.check.views import ViewChecks
from dynamodel.compiler.spec.model import DERIVATIONS, ID_TYPES, Attribute, Derivation, Entity


class EntityOptionChecks(ViewChecks):
    """The entity options whose rules tie an entity to others or to its key."""

    def derived(self, entity: Entity, attribute: Attribute, derivation: Derivation) -> None:
        """A derived attribute: a known, non-derived source of a type the function takes, the
        function's result type, optional exactly when its source is, and nothing a caller or
        a default would set."""
        pos = derivation.pos or attribute.pos
        where = f"`{entity.name}.{attribute.name}`"
        sources, result = DERIVATIONS[derivation.function]
        source = self.attribute_ref(entity, derivation.source, f"`derived` of {where}")
        if source is not None:
            if source.derived is not None:
                self.err(
                    pos,
                    f"{where} is derived from `{source.name}`, which is derived itself",
                    f"derive it from `{source.derived.source.name}` directly",
                )
            elif source.type.base not in sources:
                self.err(
                    pos,
                    f"`{derivation.function}` takes a {' or '.join(sorted(sources))}, but "
                    f"`{entity.name}.{source.name}` is a {source.type.render()}",
                    "derive from an attribute of that type",
                )
            elif source.optional != attribute.optional:
                state = "optional" if source.optional else "required"
                self.err(
                    pos,
                    f"{where} is derived from `{source.name}`, which is {state}, so it must "
                    f"be {state} too",
                    f"declare it `{result}?`" if source.optional else f"declare it `{result}`",
                )
        if attribute.type.base != result or not attribute.type.is_scalar:
            self.err(
                pos,
                f"`{derivation.render()}` is a {result}, but {where} is declared "
                f"{attribute.type.render()}",
                f"declare `type: {result}`",
            )
        for present, what in (
            (attribute.has_default, "`default`"),
            (attribute.auto is not None, "`auto`"),
            (bool(attribute.enum), "`enum`"),
            (attribute.ttl, "`ttl`"),
            (attribute.name in entity.key_names, "a place in the id or collection"),
        ):
            if present:
                self.err(
                    pos,
                    f"{where} is derived, so it cannot have {what}",
                    "the model computes it from its source; keep one of the two",
                )

    def counts(self, entity: Entity) -> None:
        """`counts:` names an int counter of another entity whose key this entity's own key
        holds (so the parent of an item never changes), outside aggregates and TTL."""
        if not entity.counts:
            return
        first = entity.counts[0][0].pos
        if self.spec.root_of(entity.name) is not None and not entity.members:
            self.err(
                first,
                f"`{entity.name}` is an aggregate member, so it cannot count",
                "members are written with their root; count the root instead",
            )
        if any(a.ttl for a in entity.attributes):
            self.err(
                first,
                f"`{entity.name}` expires by TTL, which would never count it down",
                "drop `ttl`, or drop `counts`",
            )
        checked_parents: set[str] = set()
        for parent_ref, counter_ref in entity.counts:
            parent = self.entity_ref(parent_ref, f"`counts` of `{entity.name}`")
            if parent is None:
                continue
            where = f"`{parent.name}.{counter_ref.name}`"
            if parent.name == entity.name:
                self.err(
                    parent_ref.pos, f"`{entity.name}` counts itself", "count another entity's items"
                )
                continue
            counter = self.attribute_ref(parent, counter_ref, f"`counts` of `{entity.name}`")
            if counter is not None and (
                counter.type.base != "int" or counter.optional or counter.derived is not None
            ):
                shown = counter.type.render() + ("?" if counter.optional else "")
                self.err(
                    counter_ref.pos,
                    f"the counter {where} must be a required int that is not derived, but it "
                    f"is {'derived' if counter.derived is not None else shown}",
                    f"declare `{counter_ref.name}: {{type: int, default: 0}}`",
                )
            elif counter is not None and counter.name in parent.key_names:
                self.err(counter_ref.pos, f"the counter {where} is part of `{parent.name}`'s key")
            missing = [n for n in parent.key_names if n not in entity.key_names]
            if missing and parent.name not in checked_parents:
                self.err(
                    parent_ref.pos,
                    f"`{entity.name}` counts in `{parent.name}`, but its own key lacks "
                    f"{', '.join(missing)}: the parent of an item must never change",
                    f"put {', '.join(missing)} in `{entity.name}`'s id (or `collection`)",
                )
            checked_parents.add(parent.name)

    def collection(self, entity: Entity) -> None:
        """`collection` attributes: present, key types, outside the id, and not on aggregates
        (a member already lives in its root's partition)."""
        if entity.collection and (entity.members or self.spec.root_of(entity.name) is not None):
            self.err(
                entity.collection[0].pos,
                f"`{entity.name}` is part of an aggregate, so it cannot name a `collection`",
                "an aggregate's items already share its root's partition: drop `collection`",
            )
        for ref in entity.collection:
            attribute = self.attribute_ref(entity, ref, "in `collection`")
            if attribute is None:
                continue
            if ref.name in entity.id_names:
                self.err(
                    ref.pos,
                    f"`{entity.name}.{ref.name}` is in the id and in `collection`",
                    "`collection` names attributes outside the id: keep it in one place",
                )
            elif attribute.optional:
                self.err(
                    ref.pos,
                    f"collection attribute `{entity.name}.{ref.name}` is optional",
                    "it is part of the table key, which is always present: drop `?`",
                )
            if attribute.type.base not in ID_TYPES:
                self.err(
                    ref.pos,
                    f"collection attribute `{entity.name}.{ref.name}` has type "
                    f"{attribute.type.render()}",
                    "key attributes must be str, int, decimal, datetime or date",
                )
