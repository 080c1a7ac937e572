"""Build one AWS Lambda function's bundle for `sam build` (the examples' Makefiles call it).

    python3 lambda_bundle.py FUNCTION --out "$(ARTIFACTS_DIR)" [--template T.yaml] PATH...

copies each PATH (handler modules, the generated package) into the bundle, then installs
dynamodel-runtime (from this checkout's runtime/) and its dependencies that Lambda's Python
runtime lacks (pydantic: boto3 and botocore are part of it) as wheels for the function's own
`Runtime` and `Architectures`, read from its SAM template (its Properties, else the
template's Globals). pip on the build host would otherwise install wheels for the host: an
x86_64 CPython 3.11 pydantic_core in a python3.13 arm64 function fails at its first import.

The template is the one of the SAM templates next to the Makefile (or `--template`) that
declares FUNCTION; the runtime's requirements come from runtime/pyproject.toml. At the end,
every installed wheel's tags are checked against the function's (docs/runtime.md,
"Dependencies").
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_PROJECT = ROOT / "runtime"
# What AWS Lambda's Python runtimes already hold: a bundle leaves these out.
IN_LAMBDA = {"boto3", "botocore"}
# Lambda's Architectures and the manylinux platforms of their wheels (glibc 2.17 and later:
# every Lambda Python runtime from python3.8 on has a newer glibc).
PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
WHEEL_MACHINES = {"x86_64": "x86_64", "arm64": "aarch64"}
# pydantic and its own dependencies: the part of a bundle that is not dynamodel's.
PYDANTIC = {
    "pydantic",
    "pydantic_core",
    "typing_extensions",
    "typing_inspection",
    "annotated_types",
}
# What building both distributions reads from a checkout.
SOURCE_TREE = (
    "pyproject.toml",
    "README.md",
    "LICENSE",
    "MANIFEST.in",
    "build_backend",
    "runtime",
    "src",
)


def copy_source_tree(target: Path) -> Path:
    """A copy of what the builds read: they write build/ and *.egg-info next to the sources."""
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    target.mkdir()
    for name in SOURCE_TREE:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(source, target / name)
    return target


@dataclass(frozen=True)
class Target:
    function: str
    template: Path
    python: str  # "3.13"
    architecture: str  # "arm64" or "x86_64"

    @property
    def platform(self) -> str:
        return PLATFORMS[self.architecture]

    @property
    def abi(self) -> str:
        return "cp" + self.python.replace(".", "")


class BundleError(Exception):
    """The bundle cannot be built as asked (the message says why)."""


def _load_template(path: Path) -> dict[str, Any]:
    try:
        import yaml
    except ImportError as error:
        raise BundleError(f"reading {path} needs PyYAML: pip install PyYAML") from error

    class _Loader(yaml.SafeLoader):
        """CloudFormation's short forms (!Ref, !Sub, ...) read as plain values."""

    def _any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return loader.construct_scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node)
        return loader.construct_mapping(node)  # type: ignore[arg-type]

    _Loader.add_multi_constructor("!", _any_tag)
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    return document if isinstance(document, dict) else {}


def function_target(function: str, templates: list[Path]) -> Target:
    """The Python version and architecture FUNCTION declares in the one template that has it."""
    found = []
    for path in templates:
        template = _load_template(path)
        resource = (template.get("Resources") or {}).get(function)
        if resource and resource.get("Type") == "AWS::Serverless::Function":
            found.append((path, template, resource))
    if len(found) != 1:
        where = ", ".join(str(path) for path, _, _ in found) or "none of " + ", ".join(
            str(path) for path in templates
        )
        raise BundleError(f"{function}: expected one SAM template declaring it, found {where}")
    path, template, resource = found[0]
    defaults = ((template.get("Globals") or {}).get("Function")) or {}
    properties = resource.get("Properties") or {}
    runtime = properties.get("Runtime", defaults.get("Runtime"))
    architectures = properties.get("Architectures", defaults.get("Architectures", ["x86_64"]))
    match = re.fullmatch(r"python(3\.\d+)", str(runtime))
    if match is None:
        raise BundleError(f"{function} in {path}: Runtime {runtime!r} is not a pythonX.Y runtime")
    if not isinstance(architectures, list) or len(architectures) != 1:
        raise BundleError(
            f"{function} in {path}: Architectures must list one of {sorted(PLATFORMS)}"
        )
    architecture = str(architectures[0])
    if architecture not in PLATFORMS:
        raise BundleError(f"{function} in {path}: unknown architecture {architecture!r}")
    return Target(function, path, match.group(1), architecture)


def runtime_requirements() -> list[str]:
    """dynamodel-runtime's requirements that Lambda's Python runtime does not provide."""
    project = tomllib.loads((RUNTIME_PROJECT / "pyproject.toml").read_text(encoding="utf-8"))
    requirements = project["project"]["dependencies"]
    return [r for r in requirements if re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0] not in IN_LAMBDA]


def _pip(*arguments: str) -> None:
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    # The bundle is not the build host's environment: its packages do not conflict with it.
    command += ["--no-warn-conflicts", "--root-user-action=ignore"]
    # Bytecode of the host's Python is of no use to the function's (another version).
    command.append("--no-compile")
    subprocess.run([*command, *arguments], check=True)


def build(target: Target, out: Path, paths: list[Path]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for path in paths:
        if path.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(path, out / path.name, dirs_exist_ok=True, ignore=ignore)
        else:
            shutil.copy2(path, out / path.name)
    # The runtime is pure Python: built from the checkout, any platform. pip builds a project
    # in place (build/, *.egg-info): a copy keeps concurrent builds apart.
    with tempfile.TemporaryDirectory(prefix="dynamodel-runtime-") as scratch:
        ignore = shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
        project = shutil.copytree(RUNTIME_PROJECT, Path(scratch) / "runtime", ignore=ignore)
        _pip("--target", str(out), "--no-deps", str(project))
    _pip(
        "--target", str(out), "--upgrade", "--only-binary=:all:",
        "--platform", target.platform, "--implementation", "cp",
        "--python-version", target.python, "--abi", target.abi,
        *runtime_requirements(),
    )  # fmt: skip
    wrong = mismatched_wheels(out, target)
    if wrong:
        raise BundleError(f"{target.function}: wheels not built for {target}: {wrong}")


def wheel_tags(bundle: Path) -> dict[str, list[str]]:
    """Each installed distribution's wheel tags (its *.dist-info/WHEEL `Tag:` lines)."""
    tags = {}
    for wheel in sorted(bundle.glob("*.dist-info/WHEEL")):
        lines = wheel.read_text(encoding="utf-8").splitlines()
        tags[wheel.parent.name] = [
            line.split(":", 1)[1].strip() for line in lines if line.startswith("Tag:")
        ]
    return tags


def mismatched_wheels(bundle: Path, target: Target) -> dict[str, list[str]]:
    """The distributions whose wheels cannot run on the target, with their tags."""
    machine = WHEEL_MACHINES[target.architecture]
    wrong = {}
    for name, tags in wheel_tags(bundle).items():
        if not any(_runs_on(tag, target, machine) for tag in tags):
            wrong[name] = tags
    return wrong


def _runs_on(tag: str, target: Target, machine: str) -> bool:
    """Whether a wheel tag (`cp313-cp313-manylinux_2_17_aarch64`, `py3-none-any`; dotted
    parts are alternatives) runs on the target's CPython and machine."""
    interpreters, abis, platforms = (set(part.split(".")) for part in tag.split("-"))
    python = interpreters & {target.abi, "py3", "py" + target.abi.removeprefix("cp")}
    if "any" in platforms:
        return bool(python) and "none" in abis
    native = {
        p for p in platforms if p.startswith(("manylinux", "linux_")) and p.endswith("_" + machine)
    }
    # abi3 wheels are built for a minimum CPython (cp38-abi3 runs on 3.13): any cp3 will do.
    stable = "abi3" in abis and any(i.startswith("cp3") for i in interpreters)
    return bool(native) and ((bool(python) and bool(abis & {target.abi, "none"})) or stable)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("function", help="the function's logical ID in the SAM template")
    parser.add_argument("--out", type=Path, required=True, help="the bundle ($(ARTIFACTS_DIR))")
    parser.add_argument(
        "--template",
        type=Path,
        action="append",
        help="the SAM template declaring the function (default: the *.yaml here that does)",
    )
    parser.add_argument("paths", nargs="*", type=Path, help="files and packages to ship")
    options = parser.parse_intermixed_args(argv)
    templates = options.template or sorted(Path.cwd().glob("*.yaml"))
    try:
        target = function_target(options.function, templates)
        build(target, options.out, options.paths)
    except BundleError as error:
        print(f"lambda_bundle.py: error: {error}", file=sys.stderr)
        return 1
    print(
        f"{target.function}: python{target.python} {target.architecture} "
        f"({target.template.name}) -> {options.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
