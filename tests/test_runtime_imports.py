"""The runtime's import rules: what Lambdas import must not load the compiler or its build-time
dependencies, and the transport tuning imports nothing of the domain but its errors and its
retry decision."""

from __future__ import annotations

import ast
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


# The domain modules the transport tuning may import: its errors, and the one decision of
# what is retryable. Everything else of the runtime imports the transport, never the reverse.
TRANSPORT_MAY_IMPORT = {"dynamodel.runtime.errors", "dynamodel.runtime.retry"}


def test_the_transport_imports_nothing_of_the_domain_but_errors_and_retry() -> None:
    transport = Path(__file__).resolve().parent.parent / "src/dynamodel/runtime/transport"
    found: set[tuple[str, str]] = set()
    for path in sorted(transport.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom) and node.module == "dynamodel.runtime":
                modules = [f"dynamodel.runtime.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            for module in modules:
                runtime_module = ".".join(module.split(".")[:3])
                if (
                    module.startswith("dynamodel.runtime.")
                    and runtime_module != "dynamodel.runtime.transport"
                    and runtime_module not in TRANSPORT_MAY_IMPORT
                ):
                    found.add((path.name, module))
    assert found == set()
