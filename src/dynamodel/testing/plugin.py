"""The pytest plugin (entry point `pytest11: dynamodel`): fresh tables of the user's generated
package for each test. See docs/testing.md.

Options (command line, then environment, then ini): `--dynamodel-endpoint URL`
(`DYNAMODEL_TEST_ENDPOINT`, `dynamodel_endpoint`), `--dynamodel-stage STAGE`
(`DYNAMODEL_TEST_STAGE`, `dynamodel_stage`, default `test`), `--dynamodel-region`
(`DYNAMODEL_TEST_REGION`, `dynamodel_region`), and `--dynamodel-aws` (`DYNAMODEL_TEST_AWS=1`
only: no ini option). Project (ini, or `@pytest.mark.dynamodel(...)` per test or module):
`dynamodel_package`, `dynamodel_path`, `dynamodel_spec`; `seed=` on the marker.

Fixtures: `dynamodel_repository`, `dynamodel_table`, `dynamodel_tables`, `dynamodel_client`,
`dynamodel_project`, `dynamodel_backend`.

Loaded at the start of every pytest run where dynamodel is installed: it imports only pytest
and the standard library here; boto3, moto and the compiler are imported by the fixtures, by
the tests that use them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from dynamodel.testing.errors import DynamodelTestingError, SettingsError
from dynamodel.testing.settings import Backend, Project, Request, resolve_backend, resolve_request
from dynamodel.testing.tables import DynamodelTable, TableFactory

BACKEND_KEY = pytest.StashKey[Backend]()
PATH_KEY = pytest.StashKey[list[str]]()
_INI = {
    "dynamodel_package": "the generated package tables are for: NAME or NAME:ClassRepository",
    "dynamodel_spec": "the spec the package was generated from (needed to seed sample data)",
    "dynamodel_endpoint": "a DynamoDB endpoint for test tables (default: embedded moto)",
    "dynamodel_stage": "the stage in test table names, <Table>-<stage>-<random> (default: test)",
    "dynamodel_region": "the region of test tables (default: us-east-1, or AWS's own with --dynamodel-aws)",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dynamodel", "dynamodel test tables (docs/testing.md)")
    group.addoption(
        "--dynamodel-endpoint",
        dest="dynamodel_endpoint",
        metavar="URL",
        help="create test tables on this DynamoDB endpoint (MiniStack, moto_server, DynamoDB "
        "Local) instead of embedded moto; env DYNAMODEL_TEST_ENDPOINT",
    )
    group.addoption(
        "--dynamodel-stage",
        dest="dynamodel_stage",
        metavar="STAGE",
        help="the stage in test table names, <Table>-<STAGE>-<random> (default: test); "
        "env DYNAMODEL_TEST_STAGE",
    )
    group.addoption(
        "--dynamodel-aws",
        dest="dynamodel_aws",
        action="store_true",
        default=False,
        help="create test tables in the real AWS account of the environment's credentials "
        "(billed; needs --dynamodel-stage); env DYNAMODEL_TEST_AWS=1",
    )
    group.addoption(
        "--dynamodel-region",
        dest="dynamodel_region",
        metavar="REGION",
        help="the region of test tables; env DYNAMODEL_TEST_REGION",
    )
    for name, help_text in _INI.items():
        parser.addini(name, help_text, default="")
    parser.addini(
        "dynamodel_path",
        "directories put first on sys.path for the run (where the generated package is)",
        type="paths",
        default=[],
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "dynamodel(package=None, spec=None, path=None, seed=False): the generated package, "
        "spec and sys.path entries of this test's dynamodel_table (over the ini options); "
        "seed=True or a number writes that many sample records per entity (True: 3)",
    )
    import os
    import sys

    try:
        config.stash[BACKEND_KEY] = resolve_backend(
            config.getoption, lambda name: str(config.getini(name)), os.environ
        )
    except SettingsError as error:
        raise pytest.UsageError(str(error)) from None
    # As pytest's own `pythonpath`: for the whole run, so that test modules can import the
    # generated package at their top (a marker's `path=` applies to its tests only).
    added = [str(path) for path in config.getini("dynamodel_path")]
    config.stash[PATH_KEY] = added
    sys.path[:0] = added


def pytest_unconfigure(config: pytest.Config) -> None:
    import sys

    for path in config.stash.get(PATH_KEY, []):
        if path in sys.path:
            sys.path.remove(path)


def pytest_report_header(config: pytest.Config) -> str | None:
    backend = config.stash.get(BACKEND_KEY, None)
    if backend is None:
        return None
    if not (config.getini("dynamodel_package") or backend.endpoint or backend.aws):
        return None  # a project that does not use the plugin: no line
    return f"dynamodel: test tables on {backend.label}, stage {backend.stage!r}"


@contextmanager
def _reported() -> Iterator[None]:
    """Configuration errors fail the test with their message, not a traceback."""
    try:
        yield
    except DynamodelTestingError as error:
        # `from None`: the report shows the message once, without "during handling of".
        raise pytest.fail.Exception(str(error), pytrace=False) from None


def _request(request: pytest.FixtureRequest) -> Request:
    """The test's `dynamodel` markers (the closest wins) and indirect parameter over the ini."""
    config = request.config
    keywords: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("dynamodel"))):
        if marker.args:
            raise SettingsError("@pytest.mark.dynamodel takes keywords only: package=, spec=, ...")
        keywords.update(marker.kwargs)
    param = getattr(request, "param", None)
    if param is not None:
        if not isinstance(param, dict) or set(param) - {"seed"}:
            raise SettingsError(
                f"an indirect parameter of dynamodel_table is {{'seed': ...}}, not {param!r}: "
                "choose the package and spec with @pytest.mark.dynamodel"
            )
        keywords.update(param)
    root = config.inipath.parent if config.inipath is not None else config.rootpath
    return resolve_request(keywords, config.getini, Path(root))


@pytest.fixture(scope="session")
def dynamodel_backend(pytestconfig: pytest.Config) -> Backend:
    """Where this run's test tables live (from the options; embedded moto by default)."""
    return pytestconfig.stash[BACKEND_KEY]


@pytest.fixture
def dynamodel_project(request: pytest.FixtureRequest) -> Project:
    """The generated package (and spec, and sys.path entries) of this test's tables: the
    `dynamodel` marker over the ini options. Override it in a conftest.py to choose in code."""
    with _reported():
        return _request(request).project


@pytest.fixture
def dynamodel_client(dynamodel_backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A DynamoDB client on the backend, in the test's environment (dummy credentials and no
    AWS endpoint unless --dynamodel-aws; moto's mock active for the embedded backend)."""
    from dynamodel.testing.backend import opened

    with _reported(), opened(dynamodel_backend, monkeypatch) as client:
        yield client


@pytest.fixture
def dynamodel_tables(
    dynamodel_client: Any,
    dynamodel_backend: Backend,
    dynamodel_project: Project,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[TableFactory]:
    """Makes fresh tables (`create()`, or `fresh()` for a block); deletes them all at the end."""
    factory = TableFactory(dynamodel_client, dynamodel_backend, dynamodel_project, monkeypatch)
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture
def dynamodel_table(
    dynamodel_tables: TableFactory, request: pytest.FixtureRequest
) -> DynamodelTable:
    """A fresh table of the project's repository, seeded when the marker says `seed=`; its
    name in the package's `<PACKAGE>_TABLE_NAME` variable for the test."""
    with _reported():
        return dynamodel_tables.create(seed=_request(request).seed)


@pytest.fixture
def dynamodel_repository(dynamodel_table: DynamodelTable) -> Any:
    """The generated repository (`TrackerRepository`) on `dynamodel_table`."""
    return dynamodel_table.repository
