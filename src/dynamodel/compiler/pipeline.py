"""The compiler's stages chained: text -> nodes -> spec -> checks -> design."""

from __future__ import annotations

from dataclasses import dataclass

from dynamodel.compiler.collector import collector_paused
from dynamodel.compiler.design import Design, design_spec
from dynamodel.compiler.diagnostics import Diagnostic, Pos, error, sort_diagnostics
from dynamodel.compiler.spec.check import check_spec
from dynamodel.compiler.spec.model import Spec
from dynamodel.compiler.spec.read import read_spec
from dynamodel.compiler.spec.yamlnodes import parse_yaml


@dataclass(frozen=True)
class Compilation:
    path: str
    spec: Spec | None
    design: Design | None
    diagnostics: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        return self.design is not None and not any(d.is_error for d in self.diagnostics)

    def rendered(self) -> list[str]:
        return [d.render(self.path) for d in self.diagnostics]


def compile_spec(text: str, *, path: str = "spec.yaml") -> Compilation:
    """Run every stage that can run; collect all diagnostics; design only a clean spec."""
    try:
        with collector_paused():
            return _compile(text, path)
    except RecursionError:
        # The stages recurse over the YAML tree and over type expressions; no real spec
        # nests anywhere near Python's limit.
        too_deep = error(
            Pos(1, 1),
            "the spec is nested too deeply to read",
            "flatten it: a spec needs only a few levels of nesting",
        )
        return Compilation(path, None, None, (too_deep,))


def _compile(text: str, path: str) -> Compilation:
    tree, diagnostics = parse_yaml(text)
    found = list(diagnostics)
    if tree is None:
        return Compilation(path, None, None, sort_diagnostics(found))
    spec, read_diagnostics = read_spec(tree)
    # A value YAML could not read (a number too long, a lone surrogate) is reported once, by
    # the parser; what later stages say about its stand-in on that line would only confuse.
    unreadable = {d.pos.line for d in diagnostics}
    found += [d for d in read_diagnostics if d.pos.line not in unreadable]
    if spec is None:
        return Compilation(path, None, None, sort_diagnostics(found))
    found += [d for d in check_spec(spec) if d.pos.line not in unreadable]
    if any(d.is_error for d in found):
        return Compilation(path, spec, None, sort_diagnostics(found))
    design, design_diagnostics = design_spec(spec)
    found += design_diagnostics
    return Compilation(path, spec, design, sort_diagnostics(found))
