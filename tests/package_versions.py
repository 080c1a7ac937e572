"""Two generated packages of one table, the deployed spec's and the next one's (with its
`migrations.py`), importable side by side: what the backfill tests migrate between."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dynamodel.compiler.codegen import generate_package
from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.pipeline import compile_spec


def compiled(text: str) -> Design:
    """The design of a spec that must compile."""
    result = compile_spec(text)
    assert result.design is not None, result.rendered()
    return result.design


@contextmanager
def package_versions(root: Path, prefix: str, before: str, after: str) -> Iterator[dict[str, Any]]:
    """`{"root", "v1", "v2", "migrations"}`: the packages `<prefix>_v1` (from `before`) and
    `<prefix>_v2` (from `after`, generated with `previous=` so it has the migrations) written
    under `root` and imported; removed from `sys.path` and `sys.modules` afterwards."""
    old, new = compiled(before), compiled(after)
    modules: dict[str, Any] = {"root": root}
    sys.path.insert(0, str(root))
    try:
        for label, design, previous in (("v1", old, None), ("v2", new, old)):
            package = f"{prefix}_{label}"
            for relative, text in generate_package(
                design, package=package, previous=previous
            ).items():
                path = root / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
            modules[label] = importlib.import_module(package)
        modules["migrations"] = importlib.import_module(f"{prefix}_v2.migrations")
        yield modules
    finally:
        sys.path.remove(str(root))
        for name in list(sys.modules):
            if name.startswith(f"{prefix}_"):
                del sys.modules[name]
