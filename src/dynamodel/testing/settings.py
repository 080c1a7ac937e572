"""Where the plugin's tables live and what they hold, resolved from the command line, the
environment and the ini file, and checked before any test runs.

This module imports only the standard library: pytest loads the plugin at startup in every
project that has dynamodel installed, whether or not its tests use a table.

Precedence: a command-line option, then its environment variable, then the ini option, then
the default. Real AWS is chosen only by `--dynamodel-aws` or `DYNAMODEL_TEST_AWS=1`: never by
an ini file (a checked-in file must not send a colleague's test run to an account), never by
an endpoint (`--dynamodel-endpoint` refuses AWS's own endpoints), and never without a stage
given on purpose.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dynamodel.testing.errors import SettingsError

DEFAULT_STAGE = "test"
DEFAULT_REGION = "us-east-1"
DEFAULT_PER_ENTITY = 3  # sample records per entity with `seed=True`
# A stage is part of table names (`<Table>-<stage>-<random>`): DynamoDB's name characters.
_STAGE = re.compile(r"[A-Za-z0-9_.]{1,64}")
_AWS_HOSTS = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws")

ENDPOINT_ENV = "DYNAMODEL_TEST_ENDPOINT"
STAGE_ENV = "DYNAMODEL_TEST_STAGE"
AWS_ENV = "DYNAMODEL_TEST_AWS"
REGION_ENV = "DYNAMODEL_TEST_REGION"
MARKER_KEYS = ("spec", "package", "path", "seed")


@dataclass(frozen=True)
class Backend:
    """Where tables are created: embedded moto (`endpoint` None, `aws` False), a local or
    remote DynamoDB-compatible endpoint, or the real AWS account of the environment."""

    endpoint: str | None
    aws: bool
    stage: str
    region: str | None  # None with `aws`: boto3's own resolution (profile, environment)

    @property
    def label(self) -> str:
        if self.aws:
            return f"REAL AWS account ({self.region or 'region of the environment'})"
        if self.endpoint is not None:
            return f"endpoint {self.endpoint}"
        return "embedded moto (in process)"


@dataclass(frozen=True)
class Project:
    """The user's generated package and the spec it was generated from.

    `package` is the import name (`tracker`), optionally with the repository class
    (`tracker:TrackerRepository`, needed only when the package exports several); `path` are
    directories put first on `sys.path` for the test (where the package lives, when it is
    not installed); `spec` is needed only to seed sample data."""

    package: str | None
    spec: Path | None = None
    path: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Request:
    """What one test asks for: its project (marker over ini) and how many sample records
    per entity to seed (0: none)."""

    project: Project
    seed: int


def resolve_backend(
    option: Callable[[str], Any], ini: Callable[[str], str], environ: Mapping[str, str]
) -> Backend:
    """The backend of this run. `option(name)` reads a command-line option (None when not
    given), `ini(name)` an ini value ("" when not set)."""
    endpoint = (
        option("dynamodel_endpoint") or environ.get(ENDPOINT_ENV) or ini("dynamodel_endpoint")
    )
    aws = bool(option("dynamodel_aws")) or environ.get(AWS_ENV, "").lower() in ("1", "true", "yes")
    given_stage = option("dynamodel_stage") or environ.get(STAGE_ENV) or ini("dynamodel_stage")
    region = option("dynamodel_region") or environ.get(REGION_ENV) or ini("dynamodel_region")
    stage = given_stage or DEFAULT_STAGE
    if not _STAGE.fullmatch(stage):
        raise SettingsError(
            f"dynamodel stage {stage!r}: use 1 to 64 letters, digits, '_' or '.' "
            "(it becomes part of table names)"
        )
    if aws:
        if endpoint:
            raise SettingsError(
                "--dynamodel-aws and --dynamodel-endpoint exclude each other: "
                f"unset {ENDPOINT_ENV} and the dynamodel_endpoint ini option, or drop --dynamodel-aws"
            )
        if not given_stage:
            raise SettingsError(
                "--dynamodel-aws creates tables in a real AWS account: name the stage they are "
                "for with --dynamodel-stage STAGE (tables are named <Table>-<STAGE>-<random>)"
            )
        return Backend(endpoint=None, aws=True, stage=stage, region=region or None)
    if endpoint:
        _check_endpoint(endpoint)
        return Backend(endpoint=endpoint, aws=False, stage=stage, region=region or DEFAULT_REGION)
    return Backend(endpoint=None, aws=False, stage=stage, region=region or DEFAULT_REGION)


def _check_endpoint(endpoint: str) -> None:
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(
            f"--dynamodel-endpoint {endpoint!r} is not a URL: pass one like http://localhost:4566"
        )
    host = parts.hostname.lower()
    if host.endswith(_AWS_HOSTS) or host in ("amazonaws.com", "api.aws"):
        raise SettingsError(
            f"--dynamodel-endpoint {endpoint!r} is AWS itself: tests reach a real account only "
            "with --dynamodel-aws --dynamodel-stage STAGE (and no endpoint)"
        )


def resolve_request(
    marker_kwargs: Mapping[str, Any], ini: Callable[[str], Any], root: Path
) -> Request:
    """The project and seeding of one test: the `dynamodel` marker's keywords (closest
    first, already merged) over the ini options; relative paths are from `root` (pytest's
    rootdir)."""
    unknown = sorted(set(marker_kwargs) - set(MARKER_KEYS))
    if unknown:
        raise SettingsError(
            f"@pytest.mark.dynamodel: unknown keyword(s) {unknown}; it takes {list(MARKER_KEYS)}"
        )
    package = marker_kwargs.get("package") or ini("dynamodel_package") or None
    spec = marker_kwargs.get("spec") or ini("dynamodel_spec") or None
    path = marker_kwargs.get("path") or ini("dynamodel_path") or None
    seed = marker_kwargs.get("seed", False)
    if isinstance(seed, bool):
        per_entity = DEFAULT_PER_ENTITY if seed else 0
    elif isinstance(seed, int) and seed >= 0:
        per_entity = seed
    else:
        raise SettingsError(
            f"@pytest.mark.dynamodel(seed={seed!r}): pass True, False or a number of records "
            "per entity"
        )
    return Request(
        project=Project(
            package=str(package) if package else None,
            spec=_under(root, spec) if spec else None,
            path=tuple(_under(root, p) for p in _listed(path)),
        ),
        seed=per_entity,
    )


def _listed(value: Any) -> list[Any]:
    if not value:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _under(root: Path, value: Any) -> Path:
    path = Path(os.fspath(value)).expanduser()
    return path if path.is_absolute() else root / path
