"""The command line starts without the runtime's heavy dependencies: `dynamodel design --out`
(compiling, every artifact, the package) imports neither pydantic nor botocore, which cost
80 ms more at every start (docs/performance.md). The copies' samples once imported
`runtime/copies.py` for a stamp, and with it pydantic and botocore."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("pydantic", "botocore", "boto3")


def test_design_out_imports_neither_pydantic_nor_botocore() -> None:
    code = (
        "import sys\n"
        "import dynamodel.cli.build, dynamodel.compiler.emit.artifacts\n"
        "import dynamodel.compiler.codegen, dynamodel.compiler.samples\n"
        f"print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
