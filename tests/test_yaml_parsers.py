"""`parse_yaml` reads with libyaml where that cannot change the outcome, and with PyYAML's own
(ten times slower) parser where the two differ: a `?` inside a flow collection, or text
libyaml refuses. Either way the tree and the diagnostics are what PyYAML's own parser gives.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dynamodel.compiler.spec import yamlnodes
from dynamodel.compiler.spec.yamlnodes import parse_yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(ROOT.glob("examples/*/spec.yaml"))

TEXTS = {
    "block optional": "a: str?\nb: [x]\n",
    "flow mapping": "a: {type: str?}\n",
    "flow sequence": "a: [str?, int?]\n",
    "flow, second line": "a: {type: str,\n  other: int?}\n",
    "flow value with spaces": "a: {x: y ? z}\n",
    "explicit key in flow": "a: {? b : c}\n",
    "lone question mark": "a: [?]\n",
    "quoted in flow": "a: {x: '?'}\n",
    "comment after flow": "a: [x]  # why?\n",
    "explicit block key": "? a\n: b\n",
    "unicode before flow": "a: 'é😀'\nb: [x?]\n",
}


def _pure(text: str, monkeypatch: pytest.MonkeyPatch) -> object:
    with monkeypatch.context() as patch:
        patch.setattr(yamlnodes, "_FAST_LOADER", yaml.SafeLoader)
        return parse_yaml(text)


@pytest.mark.skipif(not hasattr(yaml, "CSafeLoader"), reason="PyYAML built without libyaml")
@pytest.mark.parametrize("text", TEXTS.values(), ids=TEXTS.keys())
def test_the_outcome_is_pyyaml_s_own(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_yaml(text) == _pure(text, monkeypatch)


@pytest.mark.skipif(not hasattr(yaml, "CSafeLoader"), reason="PyYAML built without libyaml")
@pytest.mark.parametrize("spec", EXAMPLES, ids=lambda p: p.parent.name)
def test_optional_types_in_block_style_are_read_by_libyaml_alone(
    spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The examples write `str?` in block style, which both parsers read alike: only the fast
    # one runs (a `?` anywhere used to send the whole spec to the slow parser).
    text = spec.read_text(encoding="utf-8")
    assert "?" in text
    loaders: list[type] = []
    compose = yaml.compose

    def spy(stream: str, Loader: type) -> object:
        loaders.append(Loader)
        return compose(stream, Loader=Loader)

    monkeypatch.setattr(yaml, "compose", spy)
    tree, diagnostics = parse_yaml(text)
    assert loaders == [yaml.CSafeLoader]
    monkeypatch.undo()
    assert (tree, diagnostics) == _pure(text, monkeypatch)
