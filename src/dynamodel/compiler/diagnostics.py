"""Diagnostics: what is wrong, where (file:line:col), and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, order=True, slots=True)
class Pos:
    """A 1-based line and column in the spec file."""

    line: int
    col: int


UNKNOWN_POS = Pos(1, 1)


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    """One finding. `message` says what is wrong; `hint` says how to fix it."""

    pos: Pos
    message: str
    hint: str = ""
    severity: Severity = Severity.ERROR

    def render(self, path: str) -> str:
        text = f"{path}:{self.pos.line}:{self.pos.col}: {self.severity.value}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def sort_diagnostics(diagnostics: list[Diagnostic]) -> tuple[Diagnostic, ...]:
    """Order by position, then text, dropping exact duplicates: output is deterministic."""
    unique = dict.fromkeys(diagnostics)
    return tuple(sorted(unique, key=lambda d: (d.pos, d.severity.value, d.message)))


def error(pos: Pos, message: str, hint: str = "") -> Diagnostic:
    return Diagnostic(pos, message, hint, Severity.ERROR)


def warning(pos: Pos, message: str, hint: str = "") -> Diagnostic:
    return Diagnostic(pos, message, hint, Severity.WARNING)
