"""Helpers for golden cases: compare emitted files with the checked-in ones, or refresh them."""

from __future__ import annotations

import difflib
from pathlib import Path


def compare_files(directory: Path, files: dict[str, str], *, update: bool) -> list[str]:
    """Return a diff per stale or missing file (after writing them all when `update`)."""
    problems = []
    for relative, text in sorted(files.items()):
        target = directory / relative
        if update:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            continue
        if not target.exists():
            problems.append(f"{target} is missing (run pytest --update-goldens)")
            continue
        expected = target.read_text(encoding="utf-8")
        if expected != text:
            diff = difflib.unified_diff(
                expected.splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"{target} (checked in)",
                tofile=f"{target} (generated)",
            )
            problems.append("".join(diff))
    return problems
