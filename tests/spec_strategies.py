"""Hypothesis strategies for random specs: valid ones (to test the design) and mangled ones."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import strategies as st

ID_TYPES = ["str", "int", "decimal", "datetime", "date"]
OTHER_TYPES = [
    "str",
    "int",
    "bool",
    "datetime",
    "decimal",
    "float",
    "list[str]",
    "set[str]",
    "dict",
]
SORTABLE = {"str", "int", "decimal", "float", "bool", "datetime", "date"}


@st.composite
def valid_specs(draw: st.DrawFn, *, max_entities: int = 5) -> dict[str, Any]:
    """A spec the checker accepts: entities, optional aggregates, patterns and views."""
    count = draw(st.integers(1, max_entities))
    names = [f"Ent{i}" for i in range(count)]  # not `E0`: that is its own schema constant
    entities: dict[str, Any] = {}
    info: dict[str, dict[str, Any]] = {}
    member_of: dict[str, str] = {}
    for index, name in enumerate(names):
        root = None
        if index > 0 and draw(st.booleans()) and draw(st.booleans()):
            candidates = [n for n in names[:index] if n not in member_of]
            if candidates:
                root = draw(st.sampled_from(candidates))
        if root is not None:
            id_attrs = [*info[root]["id"], f"m{index}"]
            types = {a: info[root]["types"][a] for a in info[root]["id"]}
            types[f"m{index}"] = draw(st.sampled_from(ID_TYPES))
            member_of[name] = root
        else:
            id_len = draw(st.integers(1, 3))
            id_attrs = [f"k{index}_{j}" for j in range(id_len)]
            types = {a: draw(st.sampled_from(ID_TYPES)) for a in id_attrs}
        extra = draw(st.integers(0, 4))
        for j in range(extra):
            types[f"a{index}_{j}"] = draw(st.sampled_from(OTHER_TYPES))
        # a shared attribute most entities carry, so views have something to join on
        if draw(st.booleans()):
            types.setdefault("tenant", "str")
        attributes: dict[str, Any] = {}
        optional = set()
        for attr, type_name in types.items():
            if attr not in id_attrs and draw(st.booleans()) and draw(st.booleans()):
                attributes[attr] = f"{type_name}?"
                optional.add(attr)
            elif attr not in id_attrs and type_name == "str" and draw(st.booleans()):
                attributes[attr] = {"type": "str", "enum": ["a", "b", "c"]}
            else:
                attributes[attr] = type_name
        body: dict[str, Any] = {"id": id_attrs, "attributes": attributes}
        scalars = [a for a, t in types.items() if t in SORTABLE or t == "bytes"]
        unique_candidates = [
            a for a in scalars if a not in id_attrs and types[a] not in ("float", "bytes")
        ]
        if root is None and unique_candidates and draw(st.booleans()):
            body["unique"] = [draw(st.sampled_from(unique_candidates))]
        entities[name] = body
        info[name] = {
            "id": id_attrs,
            "types": types,
            "attributes": attributes,
            "scalars": scalars,
            "optional": optional,
        }
    for member, root in member_of.items():
        entities[root].setdefault("members", {})[f"f_{member.lower()}"] = member
    patterns: dict[str, Any] = {}
    for number in range(draw(st.integers(0, 8))):
        name = draw(st.sampled_from(names))
        entity = info[name]
        scalars = [a for a in entity["scalars"] if entity["types"][a] in SORTABLE]
        by = draw(st.lists(st.sampled_from(scalars), unique=True, max_size=3)) if scalars else []
        rest = [a for a in scalars if a not in by]
        sort = draw(st.lists(st.sampled_from(rest), unique=True, max_size=2)) if rest else []
        pattern: dict[str, Any] = {"entity": name, "by": by}
        if set(by) == set(entity["id"]) or set(by) & set(entities[name].get("unique", [])):
            sort = []  # one item: `sort` would be an error
        if sort:
            pattern["sort"] = sort if len(sort) > 1 else sort[0]
            pattern["order"] = draw(st.sampled_from(["asc", "desc"]))
        where_candidates = [
            a for a in rest if a not in sort and isinstance(entity["attributes"][a], dict)
        ]
        if where_candidates and draw(st.booleans()):
            pattern["where"] = {draw(st.sampled_from(where_candidates)): "a"}
        if set(by) != set(entity["id"]) and draw(st.integers(0, 5)) == 0:
            pattern["shards"] = draw(st.integers(2, 8))
        patterns[f"p{number}"] = pattern
    if count >= 2 and draw(st.booleans()):
        carriers = [n for n in names if "tenant" in info[n]["types"]]
        if len(carriers) >= 2:
            chosen = draw(st.lists(st.sampled_from(carriers), min_size=2, max_size=3, unique=True))
            patterns["v_overview"] = {
                "view": {f"f{i}": [n] for i, n in enumerate(chosen)},
                "by": ["tenant"],
                "order": draw(st.sampled_from(["asc", "desc"])),
            }
    return {
        "version": 1,
        "table": {"name": "Fuzz", "indexes": draw(st.sampled_from(["overloaded", "dedicated"]))},
        "entities": entities,
        "access_patterns": patterns,
    }


def to_yaml(spec: dict[str, Any]) -> str:
    return yaml.safe_dump(spec, sort_keys=False)


@st.composite
def mangled_yaml(draw: st.DrawFn) -> str:
    """A valid spec's text with random edits: cut, duplicated, or replaced characters."""
    text = to_yaml(draw(valid_specs(max_entities=3)))
    for _ in range(draw(st.integers(1, 6))):
        if not text:
            break
        position = draw(st.integers(0, len(text) - 1))
        action = draw(st.sampled_from(["delete", "insert", "replace", "swap_line"]))
        char = draw(st.sampled_from(list(" :-[]{}?#,'\"\n\tabcxyz012!&*|>%@`")))
        if action == "delete":
            text = text[:position] + text[position + 1 :]
        elif action == "insert":
            text = text[:position] + char + text[position:]
        elif action == "replace":
            text = text[:position] + char + text[position + 1 :]
        else:
            lines = text.splitlines()
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines) + "\n"
    return text
