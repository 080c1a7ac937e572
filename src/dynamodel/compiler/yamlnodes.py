"""Strict YAML with positions: a small immutable node tree built from PyYAML's composer.

Why not `yaml.safe_load`: it forgets positions and silently keeps the last of duplicate keys.
Every node here remembers its line and column so every diagnostic can point at the source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from dynamodel.compiler.diagnostics import Diagnostic, Pos, error

# libyaml's parser is ~10x faster on large specs; both build the same nodes with positions.
_FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Scalar = str | int | float | bool | None | object
_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _printable(number: int) -> bool:
    """Whether `str(number)` works: Python refuses ints of over 4,300 decimal digits."""
    if number.bit_length() < 14_000:  # under 4,215 digits: always printable, and cheap
        return True
    try:
        str(number)
    except ValueError:
        return False
    return True


def _number_too_long(pos: Pos, raw: str) -> Diagnostic:
    return error(
        pos,
        f"the integer `{raw[:20]}...` ({len(raw):,} characters) is too long to read",
        "DynamoDB numbers hold at most 38 significant digits, magnitudes below 1E+126",
    )


@dataclass(frozen=True)
class YScalar:
    value: Scalar
    pos: Pos
    quoted: bool
    raw: str = ""  # the text as written, for messages about values YAML retyped

    @property
    def retyped(self) -> bool:
        """YAML read an unquoted word as a bool, number, date or null, not as text."""
        return not self.quoted and not isinstance(self.value, str)

    def shown(self) -> str:
        """The value as the user wrote it: `"1"` for a quoted string, `yes` for a bool."""
        if self.quoted:
            return repr(self.raw).replace("'", '"') if isinstance(self.value, str) else self.raw
        return self.raw


@dataclass(frozen=True)
class YSeq:
    items: tuple[YNode, ...]
    pos: Pos
    flow: bool


@dataclass(frozen=True)
class YMap:
    entries: tuple[tuple[YScalar, YNode], ...]
    pos: Pos
    flow: bool
    _values: dict[object, YNode] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        # A dict, so that looking up keys of a 10,000-entity map stays O(1). Keys compare as
        # the scan it replaces did (`1 == True`): the first such entry wins.
        # (`_mapping` keeps only str, int and bool keys, and drops duplicates.)
        self._values.update((key.value, value) for key, value in reversed(self.entries))

    def get(self, key: str) -> YNode | None:
        return self._values.get(key)

    def keys(self) -> tuple[str, ...]:
        return tuple(str(k.value) for k, _ in self.entries)


YNode = YScalar | YSeq | YMap


def _pos(node: yaml.Node) -> Pos:
    return Pos(node.start_mark.line + 1, node.start_mark.column + 1)


def _mark_pos(mark: Any) -> Pos:  # a pure-Python or libyaml Mark, or None
    if mark is None:
        return Pos(1, 1)
    return Pos(mark.line + 1, mark.column + 1)


class _Builder:
    def __init__(self) -> None:
        self.constructor = yaml.SafeLoader("")
        self.diagnostics: list[Diagnostic] = []
        self.visited: set[int] = set()  # the nodes built so far (ids; the tree holds them)

    def build(self, node: yaml.Node) -> YNode:
        # An alias (`*name`) makes the composer hand out its anchor's node again. The spec
        # language has no use for them, and expanding them lets a tiny spec grow without
        # bound ("billion laughs") or refer to itself.
        if id(node) in self.visited:  # parse_yaml reports aliases before building
            raise ValueError("a YAML node is reached twice")  # pragma: no cover
        self.visited.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return YSeq(tuple(self.build(i) for i in node.value), _pos(node), bool(node.flow_style))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node)
        raise TypeError(f"unexpected YAML node {node!r}")  # pragma: no cover

    def _scalar(self, node: yaml.ScalarNode) -> YScalar:
        raw = str(node.value)
        if node.tag == _STR_TAG:  # most scalars: PyYAML's constructor would return it as is
            value: Scalar = raw
        else:
            try:
                value = self.constructor.construct_object(node, deep=True)
            except yaml.YAMLError:
                value = raw
            except ValueError:  # a date like 2024-13-45, or an int past Python's digit limit
                value = raw  # later stages say the text is not of the attribute's type
                if node.tag == _INT_TAG:
                    self.diagnostics.append(_number_too_long(_pos(node), raw))
            if isinstance(value, int) and not _printable(value):  # from hex or base 60
                self.diagnostics.append(_number_too_long(_pos(node), raw))
                value = raw
        if (
            isinstance(value, str)
            and not value.isascii()  # O(1) in CPython: most text is ASCII
            and (surrogate := _SURROGATE.search(value)) is not None
        ):
            # Python reads `"\ud800"` as a lone half of a UTF-16 pair; no UTF-8 encoder (the
            # wire, JSON files, the generated sources) can write it.
            self.diagnostics.append(
                error(
                    _pos(node),
                    f"the text contains a lone surrogate `\\u{ord(surrogate.group()):04x}`, "
                    "which is not a character and cannot be stored as UTF-8",
                    "write the character itself, or `\\U0001F600` in double quotes; YAML reads "
                    "`\\ud83d\\ude00` as two lone halves",
                )
            )
            value = _SURROGATE.sub("\ufffd", value)
            raw = _SURROGATE.sub("\ufffd", raw)
        return YScalar(value, _pos(node), node.style in ("'", '"'), raw)

    def _mapping(self, node: yaml.MappingNode) -> YMap:
        entries: list[tuple[YScalar, YNode]] = []
        seen: dict[tuple[type, object], Pos] = {}
        for key_node, value_node in node.value:
            key = self.build(key_node)
            if not isinstance(key, YScalar) or not isinstance(key.value, str | int | bool):
                self.diagnostics.append(
                    error(
                        _pos(key_node), "a mapping key must be a plain name", "write `name: value`"
                    )
                )
                continue
            identity = (type(key.value), key.value)  # 1 == True in Python, not in YAML
            if identity in seen:
                first = seen[identity]
                self.diagnostics.append(
                    error(
                        key.pos,
                        f"duplicate key `{key.value}` (first defined at line {first.line})",
                        "remove or rename one of them",
                    )
                )
                continue
            seen[identity] = key.pos
            entries.append((key, self.build(value_node)))
        return YMap(tuple(entries), _pos(node), bool(node.flow_style))


def parse_yaml(text: str) -> tuple[YNode | None, tuple[Diagnostic, ...]]:
    """Parse one YAML document into positioned nodes, or return a diagnostic why not."""
    # libyaml accepts a few things the pure-Python parser rejects (`{type: str?}`) and words
    # errors differently: use it only where it cannot matter, so that what is accepted and
    # what the diagnostics say do not depend on how PyYAML was built.
    loader = yaml.SafeLoader if "?" in text else _FAST_LOADER
    try:
        root = yaml.compose(text, Loader=loader)
    except yaml.MarkedYAMLError:
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            return None, (_syntax_diagnostic(exc, text),)
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML always marks its errors
        return None, (error(Pos(1, 1), f"invalid YAML: {exc}"),)
    if root is None:
        return None, (error(Pos(1, 1), "the spec is empty", "start with `version: 1`"),)
    if "*" in text:  # only then can there be aliases: find them where they are written
        aliases = [
            error(
                _mark_pos(event.start_mark),
                f"YAML aliases (`*{event.anchor}`) are not supported in a spec",
                "write the value out where it is used",
            )
            for event in yaml.parse(text, Loader=loader)
            if isinstance(event, yaml.AliasEvent)
        ]
        if aliases:
            return None, tuple(aliases)
    builder = _Builder()
    tree = builder.build(root)
    return tree, tuple(builder.diagnostics)


def _syntax_diagnostic(exc: yaml.MarkedYAMLError, text: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    pos = _mark_pos(mark)
    problem = exc.problem or "invalid YAML"
    lines = text.splitlines()
    line = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
    hint = ""
    if mark is not None and ("'?'" in problem or "'['" in problem) and ("{" in line or "[" in line):
        hint = (
            "YAML ends a plain value at `?` or `[` inside `{...}` or `[...]`: quote the type, "
            'e.g. `{type: "str?"}` or `{type: "list[str]"}`, or write `optional: true`'
        )
    elif exc.context and exc.context_mark is not None and exc.context_mark is not mark:
        opened = _mark_pos(exc.context_mark)
        what = exc.context.removeprefix("while ").removeprefix("parsing ").removeprefix("scanning ")
        what = what.removeprefix("a ").removeprefix("an ")
        hint = (
            f"the {what} that starts at line {opened.line}, column {opened.col} is not closed "
            "or not indented consistently"
        )
        if "quoted" in what:
            pos = opened
    elif "mapping values are not allowed" in problem:
        hint = "check the indentation of this line, or quote a value that contains `: `"
    return error(pos, f"invalid YAML: {problem}", hint)
