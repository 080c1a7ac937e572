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
        parent = None
        if root is None and index > 0 and draw(st.integers(0, 2)) == 0:
            # a child (not a member) of an earlier plain entity: its id extends the parent's,
            # so "the parent and its children" views can read one partition
            candidates = [
                n for n in names[:index] if n not in member_of and not info[n].get("parent")
            ]
            siblings = [info[n]["parent"] for n in names[:index] if info[n].get("parent")]
            if siblings and draw(st.booleans()):
                parent = siblings[-1]  # a second child of one parent: two views may share it
            elif candidates:
                parent = draw(st.sampled_from(candidates))
        if root is not None:
            id_attrs = [*info[root]["id"], f"m{index}"]
            types = {a: info[root]["types"][a] for a in info[root]["id"]}
            types[f"m{index}"] = draw(st.sampled_from(ID_TYPES))
            member_of[name] = root
        elif parent is not None:
            id_attrs = [*info[parent]["id"], f"c{index}"]
            types = {a: info[parent]["types"][a] for a in info[parent]["id"]}
            types[f"c{index}"] = draw(st.sampled_from(ID_TYPES))
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
            "parent": parent,
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
        # `by` and `where` fixing the id or a unique value read one item: no `shards` there.
        fixed = set(by) | set(pattern.get("where", {}))
        uniques = [{u} if isinstance(u, str) else set(u) for u in entities[name].get("unique", [])]
        one_item = set(entity["id"]) <= fixed or any(u <= fixed for u in uniques)
        if not one_item and draw(st.integers(0, 5)) == 0:
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
    # "a parent and its children" views, one or two per parent (the second in either order)
    for number, child in enumerate(n for n in names if info[n].get("parent")):
        parent = info[child]["parent"]
        if parent in member_of or entities[parent].get("members") or not draw(st.booleans()):
            continue
        view: dict[str, Any] = {
            "view": {"head": parent, "kids": [child]},
            "by": list(info[parent]["id"]),
            "order": draw(st.sampled_from(["asc", "desc"])),
        }
        if draw(st.booleans()):
            view["sort"] = f"c{names.index(child)}"
        if draw(st.booleans()):
            view["limit"] = draw(st.integers(1, 5))
        patterns[f"v_children{number}"] = view
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


@st.composite
def parent_child_specs(draw: st.DrawFn) -> dict[str, Any]:
    """A parent with 2–3 kinds of children (ids extending the parent's), a "parent and its
    children" view per kind in a random order, often bounded and sorted, and sometimes a page
    of one kind by the parent's id: the shapes where views share the parent's partition."""
    parent_id = [f"p{j}" for j in range(draw(st.integers(1, 2)))]
    types = {a: draw(st.sampled_from(ID_TYPES)) for a in parent_id}
    entities: dict[str, Any] = {
        "Parent": {"id": list(parent_id), "attributes": {**types, "title": "str"}}
    }
    patterns: dict[str, Any] = {"get_parent": {"entity": "Parent", "by": list(parent_id)}}
    for number in range(draw(st.integers(2, 3))):
        name = f"Kid{number}"
        own = f"c{number}"
        attributes: dict[str, Any] = {**types, own: draw(st.sampled_from(ID_TYPES))}
        attributes[f"at{number}"] = draw(st.sampled_from(["int", "str", "datetime"]))
        entities[name] = {"id": [*parent_id, own], "attributes": attributes}
        view: dict[str, Any] = {
            "view": {"parent": "Parent", "kids": [name]},
            "by": list(parent_id),
            "order": draw(st.sampled_from(["asc", "desc"])),
        }
        if draw(st.booleans()):
            view["sort"] = draw(st.sampled_from([own, f"at{number}"]))
        if draw(st.booleans()):
            view["limit"] = draw(st.integers(1, 5))
        patterns[f"parent_with_kids{number}"] = view
        if draw(st.booleans()):
            patterns[f"kids{number}"] = {"entity": name, "by": list(parent_id)}
    return {
        "version": 1,
        "table": {"name": "Family"},
        "entities": entities,
        "access_patterns": patterns,
    }
