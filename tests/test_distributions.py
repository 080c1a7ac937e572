"""The two distributions built from this tree (docs/runtime.md, "Dependencies"):
`dynamodel-runtime` holds only the runtime and requires only pydantic and boto3; `dynamodel`
holds the rest, requires the runtime at its own version and no heavy extras; together they
hold exactly src/dynamodel. Both wheels are built once per session, offline, from a copy of
the tree (pip wheel without build isolation: setuptools>=77 comes with the test extras)."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
import zipfile
from email.message import Message
from email.parser import HeaderParser
from pathlib import Path

import pytest

import dynamodel
from tests.scripts import script

ROOT = Path(__file__).resolve().parent.parent
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
RUNTIME_WHEEL = f"dynamodel_runtime-{VERSION}-py3-none-any.whl"
WHEEL = f"dynamodel-{VERSION}-py3-none-any.whl"
# What the runtime may import besides itself and the standard library.
RUNTIME_IMPORTS = {"boto3", "botocore", "pydantic", "pydantic_core", "typing_extensions"}


PIP_WHEEL = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
PIP_WHEEL += ["--disable-pip-version-check"]


def _pip_wheel(source: Path, out: Path, *options: str) -> None:
    result = subprocess.run(
        [*PIP_WHEEL, "-w", str(out), *options, str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The two wheels from a checkout, and dynamodel's wheel as a release builds it."""
    import setuptools

    if int(setuptools.__version__.split(".")[0]) < 77:
        pytest.fail(f"setuptools {setuptools.__version__}: pip install -e '.[test]' (>=77)")
    base = tmp_path_factory.mktemp("distributions")
    tree = script("lambda_bundle").copy_source_tree(base / "tree")
    checkout, release = base / "checkout", base / "release"
    _pip_wheel(tree / "runtime", checkout)
    _pip_wheel(tree, checkout)
    _pip_wheel(tree, release, "--config-settings", "runtime=index")
    return {
        "tree": tree,
        "runtime": checkout / RUNTIME_WHEEL,
        "dynamodel": checkout / WHEEL,
        "release": release / WHEEL,
    }


def _files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return {name for name in archive.namelist() if ".dist-info/" not in name}


def _metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return HeaderParser().parsestr(archive.read(name).decode("utf-8"))


def _requirements(metadata: Message) -> list[str]:
    """The requirements without an `extra ==` marker (what a plain install pulls in)."""
    return [r for r in metadata.get_all("Requires-Dist", []) if "extra ==" not in r]


def test_the_runtime_wheel_holds_only_the_runtime(built: dict[str, Path]) -> None:
    source = built["tree"] / "src" / "dynamodel" / "runtime"
    runtime = {
        "dynamodel/runtime/" + path.relative_to(source).as_posix()
        for path in source.rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert _files(built["runtime"]) == {"dynamodel/__init__.py", "dynamodel/py.typed"} | runtime


def test_the_runtime_requires_only_pydantic_and_boto3(built: dict[str, Path]) -> None:
    metadata = _metadata(built["runtime"])
    assert metadata["Name"] == "dynamodel-runtime" and metadata["Version"] == VERSION
    assert sorted(metadata.get_all("Requires-Dist", [])) == ["boto3>=1.34", "pydantic<3,>=2.6"]
    assert metadata["License-Expression"] == "Apache-2.0"
    with zipfile.ZipFile(built["runtime"]) as archive:
        assert f"dynamodel_runtime-{VERSION}.dist-info/licenses/LICENSE" in archive.namelist()


def test_the_runtime_imports_nothing_of_the_compiler(built: dict[str, Path]) -> None:
    """Statically, over the wheel's sources: each import is the runtime's own, the standard
    library's, or one of pydantic's and boto3's."""
    foreign = []
    with zipfile.ZipFile(built["runtime"]) as archive:
        for name in sorted(n for n in archive.namelist() if n.endswith(".py")):
            for node in ast.walk(ast.parse(archive.read(name), name)):
                modules = []
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                for module in modules:
                    top = module.split(".")[0]
                    ours = module == "dynamodel" or module.startswith(
                        ("dynamodel.runtime", "dynamodel.__init__")
                    )
                    if top == "dynamodel" and ours:
                        continue
                    if top in sys.stdlib_module_names or top in RUNTIME_IMPORTS:
                        continue
                    foreign.append(f"{name}: {module}")
    assert foreign == []


def test_the_two_wheels_partition_the_package(built: dict[str, Path]) -> None:
    source = built["tree"] / "src"
    tree = {
        path.relative_to(source).as_posix()
        for path in (source / "dynamodel").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    runtime, compiler = _files(built["runtime"]), _files(built["dynamodel"])
    assert runtime & compiler == set()
    assert runtime | compiler == tree
    assert {"dynamodel/__main__.py", "dynamodel/cli/__init__.py"} <= compiler


def test_the_wheel_ships_the_json_schema_of_the_spec(built: dict[str, Path]) -> None:
    with zipfile.ZipFile(built["dynamodel"]) as archive:
        shipped = archive.read("dynamodel/schema/spec.schema.json").decode("utf-8")
    assert shipped == (ROOT / "schema" / "spec.schema.json").read_text(encoding="utf-8")


def test_dynamodel_requires_its_runtime_and_no_heavy_extras(built: dict[str, Path]) -> None:
    checkout, release = _metadata(built["dynamodel"]), _metadata(built["release"])
    runtime_uri = (built["tree"] / "runtime").as_uri()
    assert _requirements(checkout)[0] == f"dynamodel-runtime @ {runtime_uri}"
    assert _requirements(release)[0] == f"dynamodel-runtime=={VERSION}"
    assert _requirements(checkout)[1:] == _requirements(release)[1:]
    names = [r.split(">")[0].split("=")[0].split("<")[0] for r in _requirements(release)]
    assert names == [
        "dynamodel-runtime",
        "boto3",
        "pydantic",
        "typer",
        "rich",
        "PyYAML",
        "moto",
    ]
    # moto[server] alone brought ~170 MB (cfn-lint, sympy, networkx, docker, flask, ...)
    assert not any("[" in r for r in _requirements(release))
    assert 'flask>=2.2; extra == "server"' in release.get_all("Requires-Dist", [])


def test_the_package_metadata_is_complete(built: dict[str, Path]) -> None:
    for wheel in (built["release"], built["runtime"]):
        metadata = _metadata(wheel)
        assert metadata["License-Expression"] == "Apache-2.0"
        assert metadata["License"] is None  # the deprecated table form is gone
        assert "Typing :: Typed" in metadata.get_all("Classifier", [])
        assert metadata.get_all("Project-URL"), wheel.name
        assert metadata["Requires-Python"] == ">=3.11"
    readme = _metadata(built["release"]).get_payload()
    assert isinstance(readme, str) and "pip install dynamodel" in readme


def test_versions_agree() -> None:
    runtime = tomllib.loads((ROOT / "runtime" / "pyproject.toml").read_text())["project"]
    assert runtime["version"] == VERSION == dynamodel.__version__


def test_try_keep_without_flask_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """`dynamodel try` runs moto in process; only --keep needs moto's server, whose Flask is
    the `server` extra, not a dependency."""
    from dynamodel.tryout.backend import BackendError, open_backend

    for name in [m for m in sys.modules if m == "moto.server" or m.startswith("moto.moto_server")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "flask", None)  # as if not installed
    with (
        pytest.raises(BackendError, match=r"pip install 'dynamodel\[server\]'"),
        open_backend(endpoint_url=None, aws=False, keep=True, region=None),
    ):
        pass


def test_an_editable_install_serves_the_runtime_from_the_tree(built: dict[str, Path]) -> None:
    """Editable, src/ is on the path whole: it requires the runtime's dependencies, not
    dynamodel-runtime (whose copy in site-packages would shadow the tree's package)."""
    out = built["tree"].parent / "editable-metadata"
    out.mkdir(exist_ok=True)
    hook = (
        "import sys; sys.path.insert(0, 'build_backend'); import dynamodel_build as backend; "
        f"print(backend.prepare_metadata_for_build_editable({str(out)!r}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", hook], cwd=built["tree"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    name = result.stdout.split()[-1]
    metadata = HeaderParser().parsestr((out / name / "METADATA").read_text(encoding="utf-8"))
    requirements = _requirements(metadata)
    assert not [r for r in requirements if r.startswith("dynamodel-runtime")]
    assert {"boto3>=1.34", "pydantic<3,>=2.6"} <= set(requirements)
    assert len(requirements) == len(_requirements(_metadata(built["release"]))) - 1
