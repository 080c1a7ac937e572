"""The examples' Lambda bundles (examples/*/lambda/Makefile, scripts/lambda_bundle.py): built
for the Runtime and Architectures their SAM templates declare, not for the build host, and
small. One real `make build-<Function>` into a temporary ARTIFACTS_DIR downloads pydantic's
wheels for the function (a few MB from PyPI; skipped when PyPI cannot be reached)."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.scripts import script

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
BUNDLE_LIMIT = 1_000_000  # bytes, unzipped, on top of pydantic (issue 14)


lambda_bundle = script("lambda_bundle")
PYDANTIC = lambda_bundle.PYDANTIC


def _makefile_functions(directory: Path) -> list[str]:
    text = (directory / "Makefile").read_text(encoding="utf-8")
    return re.findall(r"^build-(\w+):", text, flags=re.MULTILINE)


def _declared(template: Path, function: str) -> tuple[str, str]:
    """(Runtime, architecture) as the template says, read here independently of the script."""
    document = yaml.safe_load(template.read_text(encoding="utf-8"))
    properties = document["Resources"][function]["Properties"]
    defaults = document.get("Globals", {}).get("Function", {})
    runtime = properties.get("Runtime", defaults.get("Runtime"))
    (architecture,) = properties.get("Architectures", defaults.get("Architectures", ["x86_64"]))
    return runtime, architecture


@pytest.mark.parametrize("example", ["tracker", "iot"])
def test_every_makefile_target_finds_its_function_in_one_template(example: str) -> None:
    directory = EXAMPLES / example / "lambda"
    functions = _makefile_functions(directory)
    assert functions
    for function in functions:
        target = lambda_bundle.function_target(function, sorted(directory.glob("*.yaml")))
        runtime, architecture = _declared(target.template, function)
        assert (f"python{target.python}", target.architecture) == (runtime, architecture)


def test_properties_win_over_globals_and_bad_declarations_are_refused(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        "Globals: {Function: {Runtime: python3.12, Architectures: [arm64]}}\n"
        "Resources:\n"
        "  A: {Type: AWS::Serverless::Function, Properties: {Handler: a.h}}\n"
        "  B: {Type: AWS::Serverless::Function, Properties: {Runtime: python3.13, Architectures: [x86_64]}}\n"
        "  C: {Type: AWS::Serverless::Function, Properties: {Runtime: nodejs20.x, Role: !Ref R}}\n"
    )
    a = lambda_bundle.function_target("A", [template])
    b = lambda_bundle.function_target("B", [template])
    assert (a.python, a.platform, a.abi) == ("3.12", "manylinux2014_aarch64", "cp312")
    assert (b.python, b.platform, b.abi) == ("3.13", "manylinux2014_x86_64", "cp313")
    with pytest.raises(lambda_bundle.BundleError, match=r"not a pythonX\.Y runtime"):
        lambda_bundle.function_target("C", [template])
    with pytest.raises(lambda_bundle.BundleError, match="expected one SAM template"):
        lambda_bundle.function_target("Missing", [template])


@pytest.mark.parametrize(
    ("tag", "runs"),
    [
        ("cp313-cp313-manylinux_2_17_aarch64", True),
        ("cp313-cp313-manylinux2014_aarch64.manylinux_2_17_aarch64", True),
        ("py3-none-any", True),
        ("cp38-abi3-manylinux_2_17_aarch64", True),
        ("cp311-cp311-manylinux_2_17_x86_64", False),  # the build host's
        ("cp313-cp313-manylinux_2_17_x86_64", False),
        ("cp311-cp311-manylinux_2_17_aarch64", False),
        ("cp313-cp313t-manylinux_2_17_aarch64", False),  # free-threaded
        ("cp313-cp313-macosx_11_0_arm64", False),
    ],
)
def test_wheel_tags_are_judged_against_the_function(tag: str, runs: bool) -> None:
    target = lambda_bundle.Target("F", Path("t.yaml"), "3.13", "arm64")
    assert lambda_bundle._runs_on(tag, target, "aarch64") is runs


def _pypi_reachable() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=5).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`sam build`'s call for the tracker's GetTicketFunction, into a temporary ARTIFACTS_DIR."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    out = tmp_path_factory.mktemp("bundle") / "GetTicketFunction"
    result = subprocess.run(
        ["make", "-s", "build-GetTicketFunction", f"ARTIFACTS_DIR={out}"],
        cwd=EXAMPLES / "tracker" / "lambda",
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0 and not _pypi_reachable():
        pytest.skip("PyPI cannot be reached: the bundle's pydantic wheels come from there")
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def test_the_bundle_is_built_for_the_functions_runtime_and_architecture(bundle: Path) -> None:
    runtime, architecture = _declared(
        EXAMPLES / "tracker/lambda/template.yaml", "GetTicketFunction"
    )
    python = runtime.removeprefix("python")
    cp = "cp" + python.replace(".", "")
    machine = {"arm64": "aarch64", "x86_64": "x86_64"}[architecture]
    (wheel,) = bundle.glob("pydantic_core-*.dist-info/WHEEL")
    tags = [
        line.split(":", 1)[1].strip()
        for line in wheel.read_text().splitlines()
        if line.startswith("Tag:")
    ]
    assert tags and all(re.fullmatch(rf"{cp}-{cp}-manylinux\w*_{machine}", tag) for tag in tags), (
        tags
    )
    libraries = [path.name for path in bundle.rglob("*.so")]
    assert libraries and all(
        name.endswith(f".cpython-{python.replace('.', '')}-{machine}-linux-gnu.so")
        for name in libraries
    ), libraries
    target = lambda_bundle.function_target(
        "GetTicketFunction", [EXAMPLES / "tracker/lambda/template.yaml"]
    )
    assert lambda_bundle.mismatched_wheels(bundle, target) == {}
    assert not list(bundle.rglob("*.pyc"))  # the host's bytecode: useless to another Python


def test_the_bundle_holds_the_runtime_and_pydantic_only(bundle: Path) -> None:
    distributions = {path.name.split("-")[0] for path in bundle.glob("*.dist-info")}
    assert distributions == {"dynamodel_runtime"} | PYDANTIC
    assert (bundle / "handlers.py").is_file() and (bundle / "tracker" / "repository.py").is_file()
    assert sorted(p.name for p in (bundle / "dynamodel").iterdir()) == [
        "__init__.py",
        "py.typed",
        "runtime",
    ]


def test_the_bundle_weighs_under_a_megabyte_on_top_of_pydantic(bundle: Path) -> None:
    ours = 0
    for path in bundle.iterdir():
        if path.name.split("-")[0].removesuffix(".py") in PYDANTIC:
            continue
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        ours += sum(file.stat().st_size for file in files)
    print(f"bundle on top of pydantic: {ours / 1e6:.2f} MB")
    assert 0 < ours <= BUNDLE_LIMIT
