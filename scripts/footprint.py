"""Measure what installing dynamodel costs (docs/runtime.md, "Dependencies", has the figures).

    python scripts/footprint.py        # a few minutes; needs PyPI (or a mirror pip is set up for)

In fresh virtualenvs, from a copy of this checkout: `du` of an empty virtualenv and of one
after `pip install <checkout>` (the difference, with pip's compiled bytecode and without
`__pycache__`), the distributions installed, that `dynamodel try` runs on its embedded
DynamoDB and that `try --keep` without the `server` extra says what to install; then the
runtime wheel's size and the tracker's GetTicketFunction Lambda bundle on top of pydantic
(scripts/lambda_bundle.py). tests/test_lambda_bundle.py keeps the bundle limit; this script
is not part of the test suite (it downloads every dependency).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from lambda_bundle import PYDANTIC, copy_source_tree

ROOT = Path(__file__).resolve().parent.parent
QUIET = ["--quiet", "--disable-pip-version-check"]


def _run(*command: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True)


def _du_kib(path: Path, *, bytecode: bool) -> int:
    options = [] if bytecode else ["--exclude=__pycache__"]
    return int(_run("du", "-sk", *options, path).stdout.split()[0])


def _venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    return path / "bin"


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="dynamodel-footprint-") as scratch:
        base = Path(scratch)
        tree = copy_source_tree(base / "tree")
        _venv(base / "empty")
        bin_dir = _venv(base / "installed")
        install = _run(bin_dir / "python", "-m", "pip", "install", *QUIET, tree)
        if install.returncode != 0:
            print(install.stderr, file=sys.stderr)
            return 1
        rows = []
        for bytecode in (True, False):
            size = _du_kib(base / "installed", bytecode=bytecode)
            size -= _du_kib(base / "empty", bytecode=bytecode)
            label = "with bytecode" if bytecode else "without __pycache__"
            rows.append(
                (f"pip install dynamodel, over an empty venv ({label})", f"{size / 1024:.0f} MB")
            )
        frozen = _run(bin_dir / "python", "-m", "pip", "list", "--format=freeze").stdout.split()
        installed = sorted(line.split("==")[0] for line in frozen)
        ours = [name for name in installed if name.lower() not in {"pip", "setuptools"}]
        rows.append(("distributions installed (besides pip, setuptools)", str(len(ours))))
        spec = ROOT / "examples" / "tracker" / "spec.yaml"
        tried = _run(bin_dir / "dynamodel", "try", spec, "--items", "2")
        rows.append(
            ("dynamodel try (embedded DynamoDB)", "ok" if tried.returncode == 0 else "FAILED")
        )
        keep = _run(bin_dir / "dynamodel", "try", spec, "--keep")
        told = keep.returncode != 0 and "dynamodel[server]" in keep.stderr + keep.stdout
        rows.append(
            (
                "dynamodel try --keep without the server extra",
                "says what to install" if told else "FAILED",
            )
        )

        wheels = base / "wheels"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                *QUIET,
                "--no-deps",
                "-w",
                wheels,
                tree / "runtime",
            ],
            check=True,
        )
        (wheel,) = wheels.glob("dynamodel_runtime-*.whl")
        with zipfile.ZipFile(wheel) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
        rows.append(
            (
                "dynamodel-runtime wheel (zipped / unzipped)",
                f"{wheel.stat().st_size / 1024:.0f} KB / {unzipped / 1024:.0f} KB",
            )
        )

        bundle = base / "bundle"
        lambda_dir = ROOT / "examples" / "tracker" / "lambda"
        built = _run(
            "make", "-s", "build-GetTicketFunction", f"ARTIFACTS_DIR={bundle}", cwd=lambda_dir
        )
        if built.returncode != 0:
            print(built.stderr, file=sys.stderr)
            return 1
        total = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file())
        pydantic = sum(
            p.stat().st_size
            for entry in bundle.iterdir()
            if entry.name.split("-")[0].removesuffix(".py") in PYDANTIC
            for p in ([entry] if entry.is_file() else entry.rglob("*"))
            if p.is_file()
        )
        rows.append(
            (
                "tracker Lambda bundle, unzipped (all / on top of pydantic)",
                f"{total / 1e6:.1f} MB / {(total - pydantic) / 1e6:.2f} MB",
            )
        )
        width = max(len(label) for label, _ in rows)
        for label, value in rows:
            print(f"{label:<{width}}  {value}")
        print("distributions:", " ".join(ours))
        for name, run in (("try", tried), ("try --keep", keep)):
            if run.returncode != 0 and (name == "try" or not told):
                print(f"--- dynamodel {name}:\n{run.stderr[-2000:]}", file=sys.stderr)
        return 0 if tried.returncode == 0 and told else 1


if __name__ == "__main__":
    raise SystemExit(main())
