"""Hypothesis strategies for hostile input: key values built to break the key encoding (its
delimiter, escape and range characters, prefixes of each other, multi-byte characters, sizes
at DynamoDB's key limits), and structural mutations of a parsed spec dumped back to YAML.

Used by tests/test_hostile_keys.py and tests/test_hostile_key_limits.py (through generated
repositories) and tests/test_spec_mutations.py (through the compiler).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import yaml
from hypothesis import strategies as st

from dynamodel.runtime.keys import DELIMITER, ESCAPE, RANGE_END, encode_str

# -- key values ------------------------------------------------------------------------------

# The characters the key encoding treats specially ("#" joins segments, "%" escapes, "$" ends
# a range), everything it escapes (<= "%"), the characters right above the escape, and
# multi-byte characters of every UTF-8 width. Sequences that look like an escape or a joined
# key are fragments too, so a raw value can spell what another value encodes to.
SPECIAL_CHARS = [DELIMITER, ESCAPE, RANGE_END, "\x00", "\x01", "\x1f", " ", "!", '"']
NEAR_CHARS = ["&", "'", "0", "9", "A", "F", "Z", "a", "z", "~", "\x7f"]
WIDE_CHARS = ["é", "ÿ", "€", "\u2028", "\ufeff", "\uffff", "😀", "\U0010ffff"]
FRAGMENTS = [
    "%23",
    "%25",
    "%24",
    "%2",
    "%%",
    "##",
    "#$",
    "$#",
    "P5011",
    "N",
    "M4988~",
    "Workspace#",
    "#Workspace",
    "Membership#",
    "a#b",
]
HOSTILE_PIECES = SPECIAL_CHARS + NEAR_CHARS + WIDE_CHARS + FRAGMENTS

# Any Unicode scalar value: everything UTF-8 can encode (no lone surrogates).
unicode_text = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12)
hostile_text = st.lists(st.sampled_from(HOSTILE_PIECES), min_size=1, max_size=6).map("".join)
key_text = st.one_of(hostile_text, unicode_text)

SUFFIXES = [DELIMITER, ESCAPE, RANGE_END, "\x00", " ", "a", "#x", "%23", "$x", "~", "é"]


@st.composite
def distinct_ids(draw: st.DrawFn, *, min_size: int = 2, max_size: int = 8) -> list[str]:
    """Distinct non-empty strings, many of them prefixes of each other or differing only by
    a delimiter, an escape or an escaped spelling of one (`a`, `a#`, `a%23`, `a#x`)."""
    bases = draw(st.lists(key_text, min_size=1, max_size=max(1, max_size // 2), unique=True))
    found = list(bases)
    for base in bases:
        for suffix in draw(st.lists(st.sampled_from(SUFFIXES), max_size=3, unique=True)):
            found.append(base + suffix)
        if len(base) > 1 and draw(st.booleans()):
            found.append(base[: draw(st.integers(1, len(base) - 1))])
    unique = list(dict.fromkeys(found))
    if len(unique) < min_size:
        unique += [f"{unique[0]}{DELIMITER}{n}" for n in range(min_size - len(unique))]
    return draw(st.permutations(unique))[:max_size]


def encoded_bytes(value: str) -> int:
    """UTF-8 size of `value` once encoded as a key segment."""
    return len(encode_str(value).encode("utf-8"))


# Pieces whose encoded size is 1 to 4 bytes: an escaped character is 3 ("%23"), a kept one is
# its UTF-8 length.
SIZED_PIECES = ["a", "z", "~", DELIMITER, ESCAPE, "\x00", " ", "é", "€", "😀", "\uffff"]


@st.composite
def value_of_encoded_size(draw: st.DrawFn, size: int) -> str:
    """A string that encodes to exactly `size` UTF-8 bytes: a few runs of mixed-width and
    escaped characters, padded with "a" (one byte) to the exact size."""
    runs = draw(
        st.lists(
            st.tuples(st.sampled_from(SIZED_PIECES), st.integers(1, 400)), min_size=1, max_size=5
        )
    )
    parts: list[str] = []
    used = 0
    for piece, count in runs:
        width = encoded_bytes(piece)
        count = min(count, (size - used) // width)
        parts.append(piece * count)
        used += width * count
    value = "".join(parts) + "a" * (size - used)
    assert encoded_bytes(value) == size
    return value


# -- spec mutations --------------------------------------------------------------------------


class Pairs(list[list[Any]]):
    """A YAML mapping as a list of [key, value] pairs: it can hold duplicate and non-scalar
    keys, which a dict cannot, and it keeps its order."""


class _Dumper(yaml.SafeDumper):
    pass


def _represent_pairs(dumper: yaml.SafeDumper, data: Pairs) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", [(k, v) for k, v in data])


_Dumper.add_representer(Pairs, _represent_pairs)


def as_pairs(value: Any) -> Any:
    """A parsed YAML tree with every mapping turned into `Pairs`."""
    if isinstance(value, dict):
        return Pairs([[as_pairs(k), as_pairs(v)] for k, v in value.items()])
    if isinstance(value, list):
        return [as_pairs(v) for v in value]
    return value


def dump(tree: Any) -> str:
    """YAML text of a (mutated) tree; block style, Unicode kept, no line folding."""
    text: str = yaml.dump(tree, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10_000)
    return text


# Values a scalar (or any node) is replaced with: other types, odd numbers, odd text, names
# the compiler reserves, Python keywords, type expressions that almost parse.
ODD_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    10**40,
    2**63,
    -(10**20),
    1.5,
    float("nan"),
    float("inf"),
    -0.0,
    "",
    " ",
    "é",
    "😀",
    "\u202e",
    "\x00",
    "x" * 300,
    "#",
    "%",
    "$",
    "null",
    "~",
    "a\nb",
    "list[",
    "list[list[str]]",
    "set[dict]",
    "set[float]",
    "dict?",
    "str??",
    "T?",
    "PK",
    "SK",
    "GSI1PK",
    "_type",
    "version",
    "class",
    "None",
    "self",
    "__init__",
    "model_config",
    "1abc",
    "a-b",
    [],
    {},
    [None],
    [[[]]],
    Pairs([[None, 1]]),
    Pairs([["", ""]]),
    Pairs([[[1, 2], "x"]]),
]
ODD_NAMES = [
    "",
    "_x",
    "__x",
    "x_",
    "X",
    "x",
    "é",
    "Entity-1",
    "a b",
    "class",
    "def",
    "None",
    "True",
    "False",
    "none",
    "true",
    "false",
    "self",
    "version",
    "_type",
    "PK",
    "items",
    "cursor",
    "limit",
    "consistent",
    "model_config",
    "Page",
    "Repository",
    "x" * 200,
    "1x",
    "A1",
    "Ab",
    "ab",
]

Slot = tuple[Any, int, str]  # (container, index, "key" | "value" | "item")


def _slots(tree: Any) -> list[Slot]:
    """Every place of the tree a mutation can touch, in document order."""
    found: list[Slot] = []

    def walk(node: Any) -> None:
        if isinstance(node, Pairs):
            for index, (key, value) in enumerate(node):
                found.append((node, index, "key"))
                found.append((node, index, "value"))
                walk(key)
                walk(value)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                found.append((node, index, "item"))
                walk(value)

    walk(tree)
    return found


def _get(slot: Slot) -> Any:
    container, index, kind = slot
    if kind == "key":
        return container[index][0]
    if kind == "value":
        return container[index][1]
    return container[index]


def _set(slot: Slot, value: Any) -> None:
    container, index, kind = slot
    if kind == "key":
        container[index][0] = value
    elif kind == "value":
        container[index][1] = value
    else:
        container[index] = value


def _strings(tree: Any) -> list[str]:
    """Every string of the tree that looks like a name (keys and values), deduplicated."""
    names: dict[str, None] = {}
    for slot in _slots(tree):
        value = _get(slot)
        if isinstance(value, str) and value.replace("_", "").isalnum():
            names[value] = None
    return list(names)


def _rename(tree: Any, old: str, new: str) -> Any:
    if isinstance(tree, Pairs):
        return Pairs([[_rename(k, old, new), _rename(v, old, new)] for k, v in tree])
    if isinstance(tree, list):
        return [_rename(v, old, new) for v in tree]
    return new if tree == old else tree


def _mutate_delete(draw: st.DrawFn, tree: Any) -> tuple[Any, str]:
    slots = [s for s in _slots(tree) if s[2] != "key"]
    if not slots:
        return tree, "delete: nothing"
    container, index, _ = draw(st.sampled_from(slots))
    del container[index]
    return tree, "delete"


def _mutate_duplicate(draw: st.DrawFn, tree: Any) -> tuple[Any, str]:
    slots = [s for s in _slots(tree) if s[2] == "key"]
    if not slots:
        return tree, "duplicate: nothing"
    container, index, _ = draw(st.sampled_from(slots))
    key, value = container[index]
    other = copy.deepcopy(value) if draw(st.booleans()) else draw(st.sampled_from(ODD_VALUES))
    position = draw(st.integers(index + 1, len(container)))
    container.insert(position, [copy.deepcopy(key), other])
    return tree, "duplicate key"


def _mutate_replace(draw: st.DrawFn, tree: Any) -> tuple[Any, str]:
    slots = _slots(tree)
    if not slots:
        return draw(st.sampled_from(ODD_VALUES)), "replace root"
    slot = draw(st.sampled_from(slots))
    pool = ODD_VALUES + _strings(tree)  # a name from elsewhere in the spec is a good misfit
    replacement = copy.deepcopy(draw(st.sampled_from(pool)))
    if slot[2] == "key" and isinstance(replacement, list | Pairs) and draw(st.booleans()):
        replacement = None  # complex keys are rarer than odd scalar keys
    _set(slot, replacement)
    return tree, f"replace {slot[2]}"


def _mutate_rename(draw: st.DrawFn, tree: Any) -> tuple[Any, str]:
    names = _strings(tree)
    if not names:
        return tree, "rename: nothing"
    old = draw(st.sampled_from(names))
    new = draw(st.sampled_from([*ODD_NAMES, *names, old + "2", old.upper(), old.lower()]))
    if draw(st.booleans()):
        return _rename(tree, old, new), "rename everywhere"
    occurrences = [s for s in _slots(tree) if _get(s) == old]
    _set(draw(st.sampled_from(occurrences)), new)
    return tree, "rename one"


def _mutate_swap(draw: st.DrawFn, tree: Any) -> tuple[Any, str]:
    containers = [c for c, i, k in _slots(tree) if i == 1 and k != "key"]
    if not containers:
        return tree, "swap: nothing"
    container = draw(st.sampled_from(containers))
    i = draw(st.integers(0, len(container) - 1))
    j = draw(st.integers(0, len(container) - 1))
    if isinstance(container, Pairs) and draw(st.booleans()):
        container[i][1], container[j][1] = container[j][1], container[i][1]
        return tree, "swap values"
    container[i], container[j] = container[j], container[i]
    return tree, "swap items"


def _mutate_nest(draw: st.DrawFn, tree: Any) -> tuple[Any, str]:
    slots = [s for s in _slots(tree) if s[2] != "key"]
    if not slots:
        return tree, "nest: nothing"
    slot = draw(st.sampled_from(slots))
    value = _get(slot)
    for _ in range(draw(st.integers(1, 60))):
        value = [value] if draw(st.booleans()) else Pairs([["n", value]])
    _set(slot, value)
    return tree, "nest"


def _mutate_graft(draw: st.DrawFn, tree: Any) -> tuple[Any, str]:
    slots = [s for s in _slots(tree) if s[2] != "key"]
    if len(slots) < 2:
        return tree, "graft: nothing"
    source = draw(st.sampled_from(slots))
    target = draw(st.sampled_from(slots))
    _set(target, copy.deepcopy(_get(source)))
    return tree, "graft"


MUTATIONS: dict[str, Callable[[st.DrawFn, Any], tuple[Any, str]]] = {
    "delete": _mutate_delete,
    "duplicate": _mutate_duplicate,
    "replace": _mutate_replace,
    "rename": _mutate_rename,
    "swap": _mutate_swap,
    "nest": _mutate_nest,
    "graft": _mutate_graft,
}


@st.composite
def mutated_spec(draw: st.DrawFn, tree: Any, *, max_mutations: int = 4) -> tuple[str, list[str]]:
    """The YAML text of `tree` (a parsed spec) after 1 to `max_mutations` random structural
    mutations, and the names of the mutations applied."""
    mutated = as_pairs(copy.deepcopy(tree))
    applied: list[str] = []
    for _ in range(draw(st.integers(1, max_mutations))):
        operation = MUTATIONS[draw(st.sampled_from(sorted(MUTATIONS)))]
        mutated, name = operation(draw, mutated)
        applied.append(name)
    return dump(mutated), applied
