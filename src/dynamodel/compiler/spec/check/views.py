"""Checks of views: their entities, fields, `by` and `sort`."""

from __future__ import annotations

import difflib

from dynamodel.compiler.diagnostics import Diagnostic, Pos, error
from dynamodel.compiler.names import pascal_case
from dynamodel.compiler.spec.model import SORTABLE_TYPES, AccessPattern, Entity, Ref, Spec


class ViewChecks:
    """The Checker's base: reporting, entity lookups, and the checks of `view:` patterns."""

    spec: Spec
    diagnostics: list[Diagnostic]

    def err(self, pos: Pos, message: str, hint: str = "") -> None:
        self.diagnostics.append(error(pos, message, hint))

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
        seen: dict[str, str] = {}
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
            if entity.name in seen:
                self.err(
                    view_field.entity.pos,
                    f"`{entity.name}` appears twice in view `{name}` "
                    f"(fields `{seen[entity.name]}` and `{view_field.name}`)",
                    "use one field per entity",
                )
                continue
            seen[entity.name] = view_field.name
            for ref in pattern.by:
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
                elif not attribute.type.is_scalar:
                    self.err(ref.pos, f"`by` attribute `{ref.name}` must be a scalar")
            missing_id = set(entity.id_names) - set(by)
            if not view_field.many and missing_id and by:
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
