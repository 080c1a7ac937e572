from __future__ import annotations

import pytest

from tests.backend_fixtures import *  # noqa: F403  (fixtures: dynamodb_client, table_name, ...)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite the expected files of golden cases and examples from the current output",
    )


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))
