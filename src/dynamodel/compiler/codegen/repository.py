"""Generate `repository.py`: the `<Table>Repository` class, one method per write and pattern."""

from __future__ import annotations

from dynamodel.compiler.codegen.expressions import (
    attribute_type,
    differences,
    encoded,
    fixed_sort_parts,
    role_where,
    template_parts,
)
from dynamodel.compiler.codegen.fit import Call, bracketed, signature
from dynamodel.compiler.codegen.method_parts import (
    cursor_arguments,
    keyword_parameters,
    partition_argument,
    sort_bound,
    update_changes,
)
from dynamodel.compiler.codegen.models import view_model_name
from dynamodel.compiler.codegen.python import (
    attribute_annotation,
    py,
    union_with,
)
from dynamodel.compiler.codegen.repository_header import class_header, repository_header
from dynamodel.compiler.design.ir import DEFAULT_LIMIT, Design, PatternPlan
from dynamodel.compiler.names import (
    constant_case,
    snake_case,
    write_method,
)
from dynamodel.compiler.spec.model import Attribute, Entity
from dynamodel.compiler.spec.updates import updatable


class RepositoryWriter:
    def __init__(self, design: Design, *, package: str) -> None:
        self.design = design
        self.package = package
        self.spec = design.spec
        self.lines: list[str] = []

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    # -- writes ------------------------------------------------------------------------
    def writes(self, entity: Entity) -> None:
        design = self.design.entity(entity.name)
        if design.aggregate_root is not None:
            return
        fn = snake_case(entity.name)
        schema = f"s.{constant_case(entity.name)}"
        ids = [(n, attribute_annotation(entity.attribute(n))) for n in entity.key_names]  # type: ignore[arg-type]
        id_args = ", ".join(f"{n}={n}" for n, _ in ids)
        what = "the aggregate (root and members)" if design.members else f"a {entity.name}"
        guards = " and its unique guards" if design.unique_guards else ""
        self.add(
            "",
            *signature(
                "    ",
                write_method("create", entity.name),
                ["self", f"{fn}: {entity.name}"],
                entity.name,
            ),
            f'        """Create {what}{guards}; AlreadyExistsError if it exists."""',
            f"        return create(self._table, {schema}, {fn})",
            "",
            *signature(
                "    ",
                write_method("save", entity.name),
                ["self", f"{fn}: {entity.name}"],
                entity.name,
            ),
            f'        """Create or replace {what}{guards}'
            + (
                "; checks and bumps the version (VersionConflictError)."
                if design.versioned
                else "."
            )
            + '"""',
            f"        return save(self._table, {schema}, {fn})",
        )
        changeable = updatable(self.spec, entity)
        if changeable:  # an entity of ids, copies and counters alone has nothing to update
            self.update(entity, ids, changeable)
        version = ["expected_version: int | None = None"] if design.versioned else []
        checked = ["expected_version=expected_version"] if design.versioned else []
        self.add(
            "",
            *signature(
                "    ",
                write_method("delete", entity.name),
                keyword_parameters([f"{n}: {t}" for n, t in ids] + version),
                "None",
            ),
            f'        """Delete {what}{guards}; NotFoundError if it does not exist."""',
            f"        key = s.{fn}_key({id_args})",
            *bracketed("        ", "delete(", ["self._table", schema, "key", *checked], ")"),
        )

    def update(
        self, entity: Entity, ids: list[tuple[str, str]], changeable: tuple[Attribute, ...]
    ) -> None:
        design = self.design.entity(entity.name)
        fn = snake_case(entity.name)
        params = [
            f"{a.name}: {union_with(attribute_annotation(a), 'Unset')} = UNSET" for a in changeable
        ]
        version = ["expected_version: int | None = None"] if design.versioned else []
        id_args = ", ".join(f"{n}={n}" for n, _ in ids)
        self.add(
            "",
            f"    def {write_method('update', entity.name)}(",
            "        self,",
            "        *,",
            *(f"        {n}: {t}," for n, t in ids),
            *(f"        {p}," for p in params + version),
            f"    ) -> {entity.name}:",
            f'        """Change the given attributes of a {entity.name}, rewriting exactly the index',
            '        keys they feed and moving unique guards, under a version (or value) check."""',
            *update_changes(changeable),
            f"        key = s.{fn}_key({id_args})",
            *bracketed(
                "        ",
                "return update(",
                ["self._table", f"s.{constant_case(entity.name)}", "key", "changes"]
                + (["expected_version=expected_version"] if design.versioned else []),
                ")",
            ),
        )

    # -- reads -------------------------------------------------------------------------
    def pattern(self, plan: PatternPlan) -> None:
        if plan.kind == "view":
            self.view(plan)
            return
        assert plan.entity is not None
        entity = self.spec.entity(plan.entity)
        assert entity is not None
        schema = f"s.{constant_case(entity.name)}"
        params = [f"{n}: {attribute_type(entity, n)}" for n in plan.by]
        doc = f'        """`{plan.name}` (spec line {plan.spec_line}): {plan.operation}'
        doc += f" on {plan.index or 'the table'}, {plan.key_condition}."
        if plan.kind == "get":
            consistent = "True" if plan.consistent else "False"
            args = ", ".join(f"{n}={n}" for n in entity.key_names)
            self.add(
                "",
                *signature(
                    "    ",
                    plan.name,
                    keyword_parameters([*params, f"consistent: bool = {consistent}"]),
                    f"{entity.name} | None",
                ),
                doc + '"""',
                f"        key = s.{snake_case(entity.name)}_key({args})",
            )
            differs = differences(entity, plan)
            if not differs:
                self.add(f"        return self._table.get({schema}, key, consistent=consistent)")
                return
            # Encoded before the read: a wrong argument type fails as in a key, unsent.
            for name in plan.checked:
                self.add(f"        wanted_{name} = {encoded(entity, name, name)}")
            self.add(
                f"        found = self._table.get({schema}, key, consistent=consistent)",
                "        if found is None or " + " or ".join(differs) + ":",
                "            return None",
                "        return found",
            )
            return
        # The partition key's expression, `keys.join(...)`: its text, or split like a call.
        partition = Call("keys.join(", tuple(template_parts(entity, plan.partition, "")))
        if plan.kind == "aggregate":
            self.add(
                "",
                *signature("    ", plan.name, keyword_parameters(params), f"{entity.name} | None"),
                doc + ' Strongly consistent; returns the root with its members."""',
                *bracketed(
                    "        ",
                    "return self._table.get_aggregate(",
                    [schema, partition],
                    ")",
                ),
            )
            return
        assert plan.sort is not None
        tag = plan.sort.segments[0].text
        exact = "= :sk" in plan.key_condition
        eq = list(plan.equality_sort)
        rng = plan.range_attribute
        fixed = fixed_sort_parts(entity, plan)
        if exact and fixed:  # the fixed parts are the whole sort key
            equal = f'SortCondition(kind="eq", low=keys.join({py(tag)}, {", ".join(fixed)}))'
        else:
            equal = f'SortCondition(kind="eq", low={py(tag)})'
        if plan.kind == "one":
            parts = f", [{', '.join(fixed)}]" if fixed else ""
            sort = equal if exact else f"sort_condition({py(tag)}{parts})"
            # On the base table (an id without its collection), strongly consistent on request.
            strong = (
                [f"consistent: bool = {py(plan.consistent)}"] if plan.consistent_allowed else []
            )
            self.add(
                "",
                *signature(
                    "    ", plan.name, keyword_parameters(params + strong), f"{entity.name} | None"
                ),
                doc + '"""',
                "        return self._table.query_one(",
                f"            {schema},",
                f"            index={py(plan.index)},",
                *partition_argument(partition),
                f"            sort={sort},",
                *(["            consistent=consistent,"] if strong else []),
                "        )",
            )
            return
        optional = [f"{n}: {attribute_type(entity, n)} | None = None" for n in eq]
        bounds = [f"{rng}_from", f"{rng}_to"] if rng else []
        if rng:
            rtype = attribute_type(entity, rng)
            optional += [f"{rng}_from: {rtype} | None = None", f"{rng}_to: {rtype} | None = None"]
        prefix = f"{rng}_prefix" if plan.takes_prefix else None
        if prefix:  # a str sort part also takes a prefix (begins_with)
            optional.append(f"{prefix}: str | None = None")
            bounds.append(prefix)
        limit = plan.limit or DEFAULT_LIMIT
        optional += [f"limit: int = {limit}", "cursor: str | None = None"]
        if plan.consistent_allowed:
            optional.append(f"consistent: bool = {py(plan.consistent)}")
        arguments = [*plan.by, *eq, *bounds]
        self.add(
            "",
            f"    def {plan.name}(",
            "        self,",
            "        *,",
            *(f"        {p}," for p in params + optional),
            f"    ) -> Page[{entity.name}]:",
            doc + '"""',
        )
        if exact:
            self.add(f"        sort = {equal}")
        else:
            self.add(f"        equality: list[str] = [{', '.join(fixed)}]")
            for position, name in enumerate(eq):
                later = [*eq[position + 1 :], *bounds]
                self.add(f"        if {name} is not None:")
                self.add(f"            equality.append({encoded(entity, name, name)})")
                if later:
                    self.add(
                        "        elif " + " or ".join(f"{x} is not None" for x in later) + ":",
                        f'            raise ValueError("give {name} to narrow by the sort parts after it")',
                    )
            if rng:
                self.add(
                    "        sort = sort_condition(",
                    f"            {py(tag)},",
                    "            equality,",
                    *sort_bound("low", f"{rng}_from", encoded(entity, rng, rng + "_from")),
                    *sort_bound("high", f"{rng}_to", encoded(entity, rng, rng + "_to")),
                    *(
                        sort_bound(
                            "prefix",
                            prefix,
                            f"keys.encode_str_prefix({prefix}, attribute={py(rng)})",
                        )
                        if prefix
                        else []
                    ),
                    "        )",
                )
            else:
                self.add(f"        sort = sort_condition({py(tag)}, equality)")
        if plan.shards:
            self.add(
                f"        partitions = [{partition} for shard in range({plan.shards})]",
            )
        elif len(line := f"        partitions = [{partition}]") <= 88:
            self.add(line)
        else:  # exploded, with a magic trailing comma: as `ruff format` keeps it
            self.add(
                "        partitions = [",
                *bracketed("            ", partition.head, partition.elements, "),"),
                "        ]",
            )
        self.add(
            "        return self._table.query_page(",
            f"            {schema},",
            f"            pattern={py(plan.name)},",
            *cursor_arguments(arguments),
            f"            index={py(plan.index)},",
            "            partitions=partitions,",
            "            sort=sort,",
            f"            forward={py(plan.scan_forward)},",
            "            limit=limit,",
            "            cursor=cursor,",
            "            consistent=" + ("consistent," if plan.consistent_allowed else "False,"),
            "        )",
        )

    def view(self, plan: PatternPlan) -> None:
        model = view_model_name(plan)
        first = self.spec.entity(plan.view[0].entity)
        assert first is not None
        params = [f"{n}: {attribute_type(first, n)}" for n in plan.by]
        view_partition = Call("keys.join(", tuple(template_parts(first, plan.partition, "")))
        specs = [
            f"ViewPartSpec(field={py(p.field)}, schema=s.{constant_case(p.entity)}, many={py(p.many)}"
            + (f", where={role_where(self.spec, p)})" if p.where else ")")
            for p in plan.view
        ]
        # Two parts or more end with a magic trailing comma: one a line, as ruff keeps them.
        parts = (
            ["            parts=(", *(f"                {s}," for s in specs), "            ),"]
            if len(specs) > 1
            else [f"            parts=({specs[0]},),"]
        )
        sort = []
        if plan.head_bound is not None:
            edge = (
                f'kind="from", low={py(plan.head_bound)}'
                if plan.scan_forward
                else f'kind="upto", high={py(plan.head_bound)}'
            )
            sort = [f"            sort=SortCondition({edge}),"]
        doc = (
            f'        """`{plan.name}` (spec line {plan.spec_line}): one eventually consistent Query'
            f" on {plan.index or 'the table'}"
        )
        if not plan.pages_view:
            self.add(
                "",
                *signature("    ", plan.name, keyword_parameters(params), model),
                doc + '."""',
                "        fields = self._table.query_view(",
                f"            index={py(plan.index)},",
                *partition_argument(view_partition),
                *parts,
                f"            forward={py(plan.scan_forward)},",
                *sort,
                "        )",
                f"        return {model}(**fields)",
            )
            return
        many = next(p.field for p in plan.view if p.many)
        self.add(
            "",
            f"    def {plan.name}(",
            "        self,",
            "        *,",
            *(f"        {p}," for p in params),
            f"        limit: int | None = {py(plan.limit)},",
            "        cursor: str | None = None,",
            f"    ) -> {model}:",
            doc + ".",
            "",
            f"        With `limit`: the single items and the first `limit` `{many}`; `cursor`",
            "        continues the list (later pages hold no single items). Without: all of them.",
            '        """',
            "        fields = self._table.query_view(",
            f"            index={py(plan.index)},",
            *partition_argument(view_partition),
            *parts,
            f"            forward={py(plan.scan_forward)},",
            *sort,
            f"            pattern={py(plan.name)},",
            *cursor_arguments(list(plan.by)),
            "            limit=limit,",
            "            cursor=cursor,",
            "        )",
            f"        return {model}(**fields)",
        )


def generate_repository(design: Design, *, package: str, spec_name: str) -> str:
    writer = RepositoryWriter(design, package=package)
    writer.add(*class_header(design, package=package))
    for entity in design.spec.entities:
        writer.writes(entity)
    for plan in design.patterns:
        writer.pattern(plan)
    body = "\n".join(writer.lines)
    return repository_header(design, spec_name=spec_name, body=body) + "\n\n" + body + "\n"
