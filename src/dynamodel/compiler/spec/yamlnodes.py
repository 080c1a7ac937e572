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


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class YSeq:
    items: tuple[YNode, ...]
    pos: Pos
    flow: bool


@dataclass(frozen=True, slots=True)
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
    """Builds the node tree. parse_yaml refuses aliases (`*name`) before building, so every
    node is met once: an alias would make the composer hand out its anchor's node again, and
    expanding it lets a tiny spec grow without bound ("billion laughs")."""

    def __init__(self, text: str | None = None) -> None:
        self.constructor = yaml.SafeLoader("")
        self.diagnostics: list[Diagnostic] = []
        # Given the text libyaml composed (when it holds a `?`): note whether a flow
        # collection (`{...}`, `[...]`) holds a `?`, where alone libyaml and PyYAML's own
        # parser read differently.
        self.text = text
        self.flow_question = False

    def build(self, node: yaml.Node) -> YNode:
        if isinstance(node, yaml.ScalarNode):  # most nodes: first
            return self._scalar(node)
        if not isinstance(node, yaml.CollectionNode):  # pragma: no cover
            raise TypeError(f"unexpected YAML node {node!r}")
        if self.text is not None and node.flow_style:
            self._note_flow(node, self.text)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node)
        return YSeq(tuple(self.build(i) for i in node.value), _pos(node), bool(node.flow_style))

    def _note_flow(self, node: yaml.Node, text: str) -> None:
        # libyaml's marks index the text by character (one per code point).
        if "?" in text[node.start_mark.index : node.end_mark.index]:
            self.flow_question = True

    def _scalar(self, node: yaml.ScalarNode) -> YScalar:
        raw = str(node.value)
        mark = node.start_mark
        pos = Pos(mark.line + 1, mark.column + 1)
        if node.tag == _STR_TAG:  # most scalars: PyYAML's constructor would return it as is
            if raw.isascii():  # O(1) in CPython: most text is ASCII, and has no surrogate
                return YScalar(raw, pos, node.style in ("'", '"'), raw)
            value: Scalar = raw
        else:
            try:
                value = self.constructor.construct_object(node, deep=True)
            except yaml.YAMLError:
                value = raw
            except ValueError:  # a date like 2024-13-45, or an int past Python's digit limit
                value = raw  # later stages say the text is not of the attribute's type
                if node.tag == _INT_TAG:
                    self.diagnostics.append(_number_too_long(pos, raw))
            if isinstance(value, int) and not _printable(value):  # from hex or base 60
                self.diagnostics.append(_number_too_long(pos, raw))
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
                    pos,
                    f"the text contains a lone surrogate `\\u{ord(surrogate.group()):04x}`, "
                    "which is not a character and cannot be stored as UTF-8",
                    "write the character itself, or `\\U0001F600` in double quotes; YAML reads "
                    "`\\ud83d\\ude00` as two lone halves",
                )
            )
            value = _SURROGATE.sub("\ufffd", value)
            raw = _SURROGATE.sub("\ufffd", raw)
        return YScalar(value, pos, node.style in ("'", '"'), raw)

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
    # errors differently. It reads the text first; PyYAML's own parser (ten times slower)
    # reads it again where they may differ: when libyaml fails (its diagnostics), and when a
    # `?` is inside a flow collection. So what is accepted and what the diagnostics say do
    # not depend on how PyYAML was built.
    loader = _FAST_LOADER
    root, failure = _compose(text, loader)
    if failure is not None:
        loader = yaml.SafeLoader
        root, failure = _compose(text, loader)
    if failure is not None:
        return None, (failure,)
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
    builder = _Builder(text if loader is not yaml.SafeLoader and "?" in text else None)
    tree = builder.build(root)
    if builder.flow_question:
        root, failure = _compose(text, yaml.SafeLoader)
        if failure is not None or root is None:  # libyaml read a document: so does PyYAML
            return None, (failure or error(Pos(1, 1), "the spec is empty"),)
        builder = _Builder()
        tree = builder.build(root)
    return tree, tuple(builder.diagnostics)


def _compose(
    text: str, loader: type[yaml.SafeLoader]
) -> tuple[yaml.Node | None, Diagnostic | None]:
    """The composed document (None when empty), or the diagnostic of a syntax error."""
    try:
        return yaml.compose(text, Loader=loader), None
    except yaml.MarkedYAMLError as exc:
        return None, _syntax_diagnostic(exc, text)
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML always marks its errors
        return None, error(Pos(1, 1), f"invalid YAML: {exc}")


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
