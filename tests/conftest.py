from __future__ import annotations

import os
import tempfile
from typing import Any

import pytest

from tests import loader_cache
from tests.backend_fixtures import *  # noqa: F403  (fixtures: dynamodb_client, table_name, ...)
from tests.backend_fixtures import SELECTED

# The programs the tests start (the command line, generated packages' own checks, servers) import
# the project from its sources. Where bytecode is off for the machine (PYTHONDONTWRITEBYTECODE),
# each of them compiles it again, a third of a command's run: they write it to a directory of
# the user's own instead, out of the source tree.
if os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
    os.environ.setdefault(
        "PYTHONPYCACHEPREFIX", os.path.join(tempfile.gettempdir(), f"dynamodel-tests-{os.getuid()}")
    )

# Every test's client is built by a session of its own: parse botocore's data files once.
loader_cache.install()

# Support modules of split test modules (their asserts and fixtures moved there; each test
# module imports the fixtures it uses by name), and the plugin the pytester tests register:
# rewritten like the tests, so that a failing assert in them says why (and pytest does not
# warn that a plugin was imported before it could be rewritten).
pytest.register_assert_rewrite(
    "tests.alert_counter_support",
    "tests.capacity_meter",
    "tests.counter_backfill_support",
    "tests.fault_paths",
    "tests.iam_support",
    "tests.migrations_support",
    "tests.paging_support",
    "tests.plugin_project",
    "tests.write_validation_support",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "backends(*names): the test applies to these backends only; it is collected once per "
        "selected one of them, and not at all when none is selected",
    )
    config.addinivalue_line(
        "markers",
        "long_running: a test of tens of seconds; it is sent to a worker first, so that it runs "
        "beside the rest instead of after it",
    )


@pytest.hookimpl(tryfirst=True)  # before the `backend` fixture's own params apply
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`@pytest.mark.backends(...)`: a test taking `backend` is generated only for the
    selected backends it applies to, so that nothing is collected only to be skipped."""
    marker = metafunc.definition.get_closest_marker("backends")
    if marker is None or "backend" not in metafunc.fixturenames:
        return
    applicable = [name for name in SELECTED if name in marker.args]
    if applicable:  # none: the hook below deselects the instances the fixture makes
        # As a marker, which pytest's own hook then applies and which keeps the fixture's
        # params (every selected backend) from applying too.
        metafunc.definition.add_marker(
            pytest.mark.parametrize("backend", applicable, indirect=True)
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`@pytest.mark.backends(...)` when none of its backends is selected
    (`DYNAMODEL_BACKENDS`): the test's instances are deselected, not skipped. Tests marked
    `long_running` go first."""
    kept, dropped = [], []
    for item in items:
        marker = item.get_closest_marker("backends")
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("backend") if callspec is not None else None
        if marker is not None and backend is not None and backend not in marker.args:
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    # Long tests first (a stable sort keeps the rest in order): under xdist the last test to
    # start decides when the run ends.
    items[:] = sorted(kept, key=lambda item: item.get_closest_marker("long_running") is None)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite the expected files of golden cases and examples from the current output",
    )
    parser.addoption(
        "--soak-seconds",
        type=float,
        default=None,
        help="how long the proxy soak's workers run (default 40, or DYNAMODEL_SOAK_SECONDS)",
    )
    parser.addoption(
        "--soak-seed",
        type=int,
        default=None,
        help="the proxy soak's seed (default 11, or DYNAMODEL_SOAK_SEED)",
    )


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


def _summary_lines() -> list[str]:
    """What this process's contention runs, proxy soaks and fault matrix did."""
    from tests.consistency import summary_lines
    from tests.soak_figures import SOAK_FIGURES

    return [*summary_lines(), *SOAK_FIGURES]


def _injected() -> list[tuple[str, str, str, str]]:
    from tests.faults import INJECTED

    return list(INJECTED)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Under pytest-xdist each worker hands its figures to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["dynamodel_summary"] = {"lines": _summary_lines(), "injected": _injected()}


_FROM_WORKERS: list[dict[str, list[Any]]] = []


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist: a worker finished; keep its figures for the terminal summary."""
    output = getattr(node, "workeroutput", {}).get("dynamodel_summary")
    if output:
        _FROM_WORKERS.append(output)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """How many faults the fault matrix injected; what the contention runs and the proxy
    soaks did (in this process and, under pytest-xdist, in every worker)."""
    lines, injected = _summary_lines(), _injected()
    for output in _FROM_WORKERS:
        lines += output["lines"]
        injected += [tuple(entry) for entry in output["injected"]]
    for line in lines:
        terminalreporter.write_line(line)
    if injected:
        backends = sorted({b for b, *_ in injected})
        paths = len({p for _, p, *_ in injected})
        terminalreporter.write_line(
            f"fault matrix: {len(injected)} faults injected over {paths} paths "
            f"on {', '.join(backends)}"
        )
