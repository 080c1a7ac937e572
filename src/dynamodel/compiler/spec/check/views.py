"""Checks of views: their entities, fields, `by` and `sort`."""

from __future__ import annotations

import difflib

from dynamodel.compiler.diagnostics import Diagnostic, Pos, error
from dynamodel.compiler.names import pascal_case
from dynamodel.compiler.spec.check.values import value_problem
from dynamodel.compiler.spec.model import (
    SORTABLE_TYPES,
    AccessPattern,
    Attribute,
    Entity,
    Presence,
    Ref,
    Spec,
    ViewField,
)


class ViewChecks:
    """The Checker's base: reporting, entity lookups, and the checks of `view:` patterns."""

    spec: Spec
    diagnostics: list[Diagnostic]

    def err(self, pos: Pos, message: str, hint: str = "") -> None:
        self.diagnostics.append(error(pos, message, hint))

    def attribute_ref(self, entity: Entity, ref: Ref, context: str) -> Attribute | None:
        attribute = entity.attribute(ref.name)
        if attribute is None and not entity.already_reported(ref.name):
            names = [a.name for a in entity.attributes]
            close = difflib.get_close_matches(ref.name, names, n=1)
            hint = f"did you mean `{close[0]}`?" if close else f"declare it in `{entity.name}`"
            self.err(ref.pos, f"`{entity.name}` has no attribute `{ref.name}` ({context})", hint)
        return attribute

    def entity_ref(self, ref: Ref, context: str) -> Entity | None:
        entity = self.spec.entity(ref.name)
        if entity is None:
            names = [e.name for e in self.spec.entities]
            close = difflib.get_close_matches(ref.name, names, n=1)
            hint = f"did you mean `{close[0]}`?" if close else "declare it under `entities`"
            self.err(ref.pos, f"unknown entity `{ref.name}` in {context}", hint)
        return entity

    def view(self, pattern: AccessPattern, view_models: dict[str, Pos]) -> None:
        name = pattern.name
        model = pascal_case(name)
        if model in view_models:
            self.err(
                pattern.pos,
                f"the view model `{model}` of `{name}` clashes with another model of that name",
                "rename the access pattern",
            )
        else:
            view_models[model] = pattern.pos
        for key, present, pos in (
            ("where", bool(pattern.where), pattern.where[0][0].pos if pattern.where else None),
            ("shards", pattern.shards is not None, pattern.shards_pos),
            ("consistent", pattern.consistent, pattern.consistent_pos),
        ):
            if present:
                self.err(
                    pos or pattern.pos,
                    f"view `{name}` cannot take `{key}`",
                    "views read one eventually consistent partition; use an entity pattern",
                )
        seen: dict[str, list[ViewField]] = {}
        by = pattern.by_names
        if not by:
            self.err(
                pattern.pos,
                f"view `{name}` has no `by`",
                "a view reads one partition: give the attributes its entities share",
            )
        for view_field in pattern.view:
            entity = self.entity_ref(view_field.entity, f"view `{name}`")
            if entity is None:
                continue
            for other in seen.get(entity.name, []):
                if not _told_apart(other, view_field):
                    self.err(
                        view_field.entity.pos,
                        f"`{entity.name}` is in two fields of view `{name}` (`{other.name}` and "
                        f"`{view_field.name}`), and nothing tells their items apart",
                        "an item sits in one field of a view: give both fields a `where` on one "
                        "attribute with a different value in each, e.g. `where: {kind: a}` and "
                        "`where: {kind: b}`",
                    )
            seen.setdefault(entity.name, []).append(view_field)
            self.view_field_keys(pattern, view_field, entity)
            field_by = view_field.by_names(pattern)
            missing_id = set(entity.id_names) - set(field_by)
            if not view_field.many and missing_id and field_by:
                self.err(
                    view_field.pos,
                    f"view field `{view_field.name}` holds one `{entity.name}`, but `by` does not "
                    f"fix its id ({', '.join(sorted(missing_id))} missing)",
                    f"write `{view_field.name}: [{entity.name}]` for a list",
                )
            if view_field.many:
                for ref in pattern.sort:
                    attribute = entity.attribute(ref.name)
                    if ref.name in by:
                        continue  # reported once below
                    if attribute is None and not entity.already_reported(ref.name):
                        names = [a.name for a in entity.attributes]
                        close = difflib.get_close_matches(ref.name, names, n=1)
                        self.err(
                            ref.pos,
                            f"view `{name}` sorts its lists by `{ref.name}`, which "
                            f"`{entity.name}` (field `{view_field.name}`) lacks",
                            f"did you mean `{close[0]}`?"
                            if close
                            else "every list entity in the view must carry the sort attributes",
                        )
                    elif attribute is not None and attribute.type.base not in SORTABLE_TYPES:
                        self.err(
                            ref.pos,
                            f"view `{name}` sorts by `{ref.name}`, a {attribute.type.render()}, "
                            "which has no order",
                            "sort on str, int, decimal, float, bool, datetime or date attributes",
                        )
        self.view_limit(pattern)
        for ref in pattern.sort:
            if ref.name in by:
                self.err(
                    ref.pos,
                    f"`{ref.name}` is both in `by` and `sort` of view `{name}`",
                    "an attribute compared for equality does not order anything: keep one",
                )

    def view_field_keys(
        self, pattern: AccessPattern, view_field: ViewField, entity: Entity
    ) -> None:
        """The attributes a view field is read by (the view's `by`, or its own `by` in the
        same order and types) and the constants of its `where`."""
        name = pattern.name
        if view_field.by and len(view_field.by) != len(pattern.by):
            self.err(
                view_field.by[0].pos,
                f"view field `{view_field.name}` reads by {len(view_field.by)} attributes, but "
                f"view `{name}` has {len(pattern.by)} in `by`",
                "give one attribute per `by` attribute of the view, in the same order",
            )
        plain = next((f for f in pattern.view if not f.by), None)
        plain_entity = self.spec.entity(plain.entity.name) if plain is not None else None
        if plain is None and pattern.by:
            self.err(
                pattern.pos,
                f"every field of view `{name}` names its own `by`",
                "let one field read by the view's `by` attributes themselves (drop its `by`)",
            )
        refs = view_field.by or pattern.by
        for position, ref in enumerate(refs):
            attribute = entity.attribute(ref.name)
            if attribute is None and entity.already_reported(ref.name):
                continue
            if attribute is None:
                self.err(
                    ref.pos,
                    f"view `{name}` reads by `{ref.name}`, which `{entity.name}` "
                    f"(field `{view_field.name}`) lacks",
                    "every entity in a view must carry all `by` attributes",
                )
                continue
            if not attribute.type.is_scalar:
                self.err(ref.pos, f"`by` attribute `{ref.name}` must be a scalar")
                continue
            if not view_field.by or plain_entity is None or position >= len(pattern.by):
                continue
            wanted = plain_entity.attribute(pattern.by[position].name)
            if wanted is not None and wanted.type.base != attribute.type.base:
                self.err(
                    ref.pos,
                    f"`{entity.name}.{ref.name}` is a {attribute.type.render()}, but it takes "
                    f"the view's `{pattern.by[position].name}`, a {wanted.type.render()}",
                    "the attributes that share one partition key must have one type",
                )
        for ref, value in view_field.where:
            attribute = entity.attribute(ref.name)
            if attribute is None:
                if not entity.already_reported(ref.name):
                    self.err(
                        ref.pos,
                        f"`where` of view field `{view_field.name}` names `{ref.name}`, which "
                        f"`{entity.name}` lacks",
                        "compare an attribute of the field's entity",
                    )
                continue
            self.where_value(entity, ref, attribute, value)

    def where_value(self, entity: Entity, ref: Ref, attribute: Attribute, value: object) -> None:
        """A `where` constant (of a pattern or a view field) fits its attribute; a presence
        filter needs an optional attribute."""
        if isinstance(value, Presence):
            if not attribute.optional:
                self.err(
                    ref.pos,
                    f"`where` tests whether `{entity.name}.{ref.name}` is {value}, but it is "
                    "required: it is always present",
                    "make it optional (`T?`), or drop this `where`",
                )
            return
        if not attribute.type.is_scalar or attribute.type.base in ("float", "bytes"):
            self.err(
                ref.pos,
                f"`where` cannot compare `{ref.name}`, a {attribute.type.render()}",
                "use a str, int, decimal, bool, datetime or date attribute",
            )
        elif (problem := value_problem(attribute, value)) is not None:
            self.err(
                ref.pos,
                f"`where` value `{value}` of `{entity.name}.{ref.name}` {problem[0]}",
                problem[1],
            )

    def view_limit(self, pattern: AccessPattern) -> None:
        """`limit` bounds a view's one list; a view of several lists cannot be bounded in one
        Query (their items follow each other in the partition, list by list)."""
        lists = [f.name for f in pattern.view if f.many]
        for view_field in pattern.view:
            if view_field.name == "cursor" and len(lists) == 1:
                self.err(
                    view_field.pos,
                    f"view `{pattern.name}` cannot have a field named `cursor`",
                    "its model's `cursor` continues the list: rename the field",
                )
        if pattern.limit is None or len(lists) == 1:
            return
        pos = pattern.limit_pos or pattern.pos
        if not lists:
            self.err(
                pos,
                f"view `{pattern.name}` has no list field, so `limit` has no effect",
                "remove `limit`",
            )
            return
        shown = ", ".join(f"`{n}`" for n in lists)
        self.err(
            pos,
            f"`limit` bounds one list, but view `{pattern.name}` has {len(lists)} ({shown})",
            "split it into one view per list, each with its own `limit`, or remove `limit` "
            "to read the whole partition",
        )


def _told_apart(first: ViewField, second: ViewField) -> bool:
    """Two fields of one entity never hold the same item: some attribute has a different
    constant in each one's `where`."""
    theirs = dict(second.where_items())
    return any(name in theirs and theirs[name] != value for name, value in first.where_items())
