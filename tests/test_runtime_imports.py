"""What Lambdas import must not load the compiler or its build-time dependencies."""

from __future__ import annotations

import subprocess
import sys

BUILD_TIME = ("dynamodel.compiler", "dynamodel.cli", "yaml", "typer", "rich", "click", "jinja2")


def test_runtime_imports_no_build_time_modules() -> None:
    code = (
        "import sys, dynamodel, dynamodel.runtime.keys, dynamodel.runtime.errors\n"
        f"bad = [m for m in sys.modules if m.startswith({BUILD_TIME!r})]\n"
        "print(','.join(sorted(bad)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
