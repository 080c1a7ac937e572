"""What Lambdas import must not load the compiler or its build-time dependencies."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TRACKER = Path(__file__).resolve().parent.parent / "examples" / "tracker" / "generated"
BUILD_TIME = (
    "dynamodel.compiler",
    "dynamodel.cli",
    "dynamodel.tryout",
    "yaml",
    "typer",
    "rich",
    "click",
    "jinja2",
    "moto",
)


def test_runtime_imports_no_build_time_modules() -> None:
    code = (
        "import os, sys, dynamodel\n"
        f"sys.path.insert(0, {str(TRACKER)!r})\n"
        "os.environ.setdefault('AWS_DEFAULT_REGION', 'us-east-1')\n"
        "import tracker\n"  # what a Lambda imports: every runtime module it needs
        "import tracker.streams\n"  # ... and a stream consumer
        "tracker.TrackerRepository(table_name='t', cursor_key='k' * 32)\n"
        "assert 'dynamodel.runtime.writes' in sys.modules\n"
        "assert 'dynamodel.runtime.streams' in sys.modules\n"
        "assert 'dynamodel.runtime.counters' in sys.modules\n"
        f"bad = [m for m in sys.modules if m.startswith({BUILD_TIME!r})]\n"
        "print(','.join(sorted(bad)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
