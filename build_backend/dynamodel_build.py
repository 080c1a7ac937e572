"""PEP 517 build backend of the `dynamodel` distribution: setuptools, split from its runtime.

The runtime (`dynamodel/__init__.py`, `py.typed` and `dynamodel/runtime/`) is a distribution
of its own, `dynamodel-runtime` (runtime/pyproject.toml), so that a Lambda installs it without
the compiler's dependencies; `dynamodel` requires it at the same version. Three things about
that split cannot be said in pyproject.toml, so this module says them around setuptools:

- The `dynamodel` wheel leaves the runtime's files out: dynamodel-runtime brings them.
- Built from a checkout (runtime/ next to this directory), `dynamodel` requires the
  checkout's runtime by a file URL, so that `pip install .` installs both halves from the
  tree instead of looking `dynamodel-runtime` up on an index (where another version, or
  someone else's package of that name, may be). A release passes `-C runtime=index` (or
  builds from the sdist, which has no runtime/) and keeps pyproject.toml's `==VERSION` pin.
- An editable install serves the whole of src/, the runtime included: it requires the
  runtime's own dependencies instead of dynamodel-runtime, whose installed copy (a regular
  `dynamodel` package in site-packages) would shadow the tree.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import tomllib
import zipfile
from pathlib import Path
from typing import Any

from setuptools import build_meta as _setuptools

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_PROJECT = ROOT / "runtime"
RUNTIME_NAME = "dynamodel-runtime"
# What dynamodel-runtime ships (runtime/src/dynamodel links to exactly these), hence what the
# dynamodel wheel leaves out. tests/test_distributions.py checks that the two wheels
# partition src/dynamodel.
RUNTIME_FILES = ("dynamodel/__init__.py", "dynamodel/py.typed")
RUNTIME_TREE = "dynamodel/runtime/"
# `-C runtime=index`: keep the version pin (a release); `checkout` (the default when
# runtime/ is there): require the checkout's runtime by its file URL.
SETTING = "runtime"

Settings = dict[str, Any] | None

get_requires_for_build_sdist = _setuptools.get_requires_for_build_sdist
get_requires_for_build_wheel = _setuptools.get_requires_for_build_wheel
get_requires_for_build_editable = _setuptools.get_requires_for_build_editable


def build_sdist(sdist_directory: str, config_settings: Settings = None) -> str:
    return str(_setuptools.build_sdist(sdist_directory, _for_setuptools(config_settings)))


def prepare_metadata_for_build_wheel(
    metadata_directory: str, config_settings: Settings = None
) -> str:
    name = _setuptools.prepare_metadata_for_build_wheel(
        metadata_directory, _for_setuptools(config_settings)
    )
    return _with_requirements(metadata_directory, name, _runtime_requirements(config_settings))


def build_wheel(
    wheel_directory: str, config_settings: Settings = None, metadata_directory: str | None = None
) -> str:
    name = _setuptools.build_wheel(wheel_directory, _for_setuptools(config_settings))
    _rewrite_wheel(
        Path(wheel_directory, name), _runtime_requirements(config_settings), drop_runtime=True
    )
    return str(name)


def prepare_metadata_for_build_editable(
    metadata_directory: str, config_settings: Settings = None
) -> str:
    name = _setuptools.prepare_metadata_for_build_editable(
        metadata_directory, _for_setuptools(config_settings)
    )
    return _with_requirements(metadata_directory, name, _runtime_dependencies())


def build_editable(
    wheel_directory: str, config_settings: Settings = None, metadata_directory: str | None = None
) -> str:
    name = _setuptools.build_editable(wheel_directory, _for_setuptools(config_settings))
    _rewrite_wheel(Path(wheel_directory, name), _runtime_dependencies(), drop_runtime=False)
    return str(name)


def _with_requirements(metadata_directory: str, name: str, requirements: list[str] | None) -> str:
    """The METADATA setuptools prepared, its runtime pin replaced as `_metadata` does."""
    path = Path(metadata_directory, name, "METADATA")
    path.write_bytes(_metadata(path.read_bytes(), requirements))
    return str(name)


def _for_setuptools(config_settings: Settings) -> Settings:
    if not config_settings:
        return config_settings
    return {key: value for key, value in config_settings.items() if key != SETTING}


def _runtime_requirements(config_settings: Settings) -> list[str] | None:
    """What replaces the `dynamodel-runtime==VERSION` pin (None: keep it)."""
    mode = (config_settings or {}).get(SETTING)
    if mode not in (None, "index", "checkout"):
        raise ValueError(f"-C {SETTING}={mode!r}: use {SETTING}=index or {SETTING}=checkout")
    if mode == "index" or (mode is None and not RUNTIME_PROJECT.is_dir()):
        return None
    _runtime_project()  # the versions agree
    return [f"{RUNTIME_NAME} @ {RUNTIME_PROJECT.as_uri()}"]


def _runtime_dependencies() -> list[str]:
    return list(_runtime_project()["dependencies"])


def _runtime_project() -> dict[str, Any]:
    runtime = tomllib.loads((RUNTIME_PROJECT / "pyproject.toml").read_text(encoding="utf-8"))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    if runtime["project"]["version"] != project["version"]:
        raise ValueError(
            f"runtime/pyproject.toml has version {runtime['project']['version']}, "
            f"pyproject.toml {project['version']}: they are released together"
        )
    return dict(runtime["project"])


def _metadata(metadata: bytes, replacement: list[str] | None) -> bytes:
    """METADATA with its `Requires-Dist: dynamodel-runtime...` line replaced (by the
    requirements of `replacement` that dynamodel does not state already)."""
    if replacement is None:
        return metadata
    lines = metadata.decode("utf-8").split("\n")
    requires = {
        i: line.removeprefix("Requires-Dist:").strip()
        for i, line in enumerate(lines)
        if line.startswith("Requires-Dist:")
    }
    pins = [i for i, requirement in requires.items() if _name(requirement) == RUNTIME_NAME]
    if len(pins) != 1:
        raise ValueError(
            f"expected one Requires-Dist on {RUNTIME_NAME} in METADATA, found {len(pins)}"
        )
    stated = {_name(r) for r in requires.values() if ";" not in r}
    added = [r for r in replacement if _name(r) == RUNTIME_NAME or _name(r) not in stated]
    lines[pins[0] : pins[0] + 1] = [f"Requires-Dist: {requirement}" for requirement in added]
    return "\n".join(lines).encode("utf-8")


def _name(requirement: str) -> str:
    """The normalized project name a requirement starts with."""
    name = re.split(r"[\s@<>=!~;\[(]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def _rewrite_wheel(wheel: Path, replacement: list[str] | None, *, drop_runtime: bool) -> None:
    """Rewrite the wheel in place: METADATA's runtime requirement, the runtime's files left
    out (`drop_runtime`), and RECORD's hashes to match."""
    with zipfile.ZipFile(wheel) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    kept: list[tuple[zipfile.ZipInfo, bytes]] = []
    record: zipfile.ZipInfo | None = None
    for info, data in entries:
        if drop_runtime and (
            info.filename in RUNTIME_FILES or info.filename.startswith(RUNTIME_TREE)
        ):
            continue
        if info.filename.endswith(".dist-info/RECORD"):
            record = info
            continue
        if info.filename.endswith(".dist-info/METADATA"):
            data = _metadata(data, replacement)
        kept.append((info, data))
    if record is None:
        raise ValueError(f"{wheel.name} has no RECORD")
    lines = [f"{info.filename},{_hash(data)},{len(data)}" for info, data in kept]
    lines.append(f"{record.filename},,")
    kept.append((record, ("\n".join(lines) + "\n").encode("utf-8")))
    partial = wheel.with_name(wheel.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info, data in kept:
            target.writestr(info, data)
    os.replace(partial, wheel)


def _hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")
