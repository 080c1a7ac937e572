"""Diagnostics as JSON (`dynamodel check --format json`): one object per diagnostic, in the
order they are printed as text, for editors, CI annotations and other tools."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from dynamodel.compiler.diagnostics import Diagnostic


def diagnostic_data(diagnostic: Diagnostic, *, path: str) -> dict[str, Any]:
    """`file`, `line`, `col` (1-based), `severity` (`error` or `warning`), `code` (None: no
    diagnostic has a code yet), `message` and `hint` (`""` when there is none)."""
    return {
        "file": path,
        "line": diagnostic.pos.line,
        "col": diagnostic.pos.col,
        "severity": diagnostic.severity.value,
        "code": None,
        "message": diagnostic.message,
        "hint": diagnostic.hint,
    }


def emit_diagnostics_json(diagnostics: Iterable[Diagnostic], *, path: str) -> str:
    """A JSON list (2-space indent, non-ASCII kept), `[]` when there is nothing to say."""
    data = [diagnostic_data(d, path=path) for d in diagnostics]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
