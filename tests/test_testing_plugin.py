"""The pytest plugin for users' tests (`dynamodel.testing`, docs/testing.md), run on a user's
project made here with pytest's `pytester`: a spec, the package generated from it, a Lambda
handler that builds its repository at import, and tests using the plugin's fixtures.

Each run checks what the user is promised: a fresh table per test named `<Table>-<stage>-
<random>` (embedded moto by default, the `--dynamodel-endpoint` server otherwise), the
package's table-name variable set for handlers, sample data from the spec on request, every
table deleted afterwards (also when the test fails), dummy credentials on local backends
whatever the environment holds. The user's project is tests/plugin_project.py; the plugin's
safety and configuration are tests/test_testing_plugin_config.py.
"""

from __future__ import annotations

import pytest

from tests.backends import client_for
from tests.plugin_project import CREDENTIALS_CHECK, records, run, user_project

# pytester, and the user_credentials fixture of the project's support module
pytest_plugins = ["pytester", "tests.plugin_project"]


def test_on_embedded_moto_by_default(pytester: pytest.Pytester, user_credentials: None) -> None:
    record = user_project(pytester)
    pytester.makepyfile(test_credentials=CREDENTIALS_CHECK)
    result = run(pytester)
    result.assert_outcomes(passed=7, failed=1)
    result.stdout.fnmatch_lines(["*fails on purpose: its table must go all the same*"])
    result.stdout.fnmatch_lines(["dynamodel: test tables on embedded moto (in process)*"])
    entries = {entry["test"]: entry for entry in records(record)}
    assert len(entries) == 8
    for name, entry in entries.items():
        assert entry["left"] == [], name  # torn down, the failed test's table too
    made = [n for entry in entries.values() for n in entry["made"]]
    assert len(made) == len(set(made)) == 8  # a name of its own for every table


@pytest.mark.backends("moto_server", "ministack")
def test_on_an_endpoint(
    pytester: pytest.Pytester,
    backend: str,
    dynamodb_endpoint_url: str,
    user_credentials: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    record = user_project(pytester, stage="ci")
    monkeypatch.setenv("DYNAMODEL_TEST_STAGE", "ci")  # the stage from the environment
    pytester.makepyfile(
        test_credentials=CREDENTIALS_CHECK
        + f"""
    assert signer.access_key == os.environ["AWS_ACCESS_KEY_ID"] == "dynamodel-testing"
    assert dynamodel_client.meta.endpoint_url == {dynamodb_endpoint_url!r}
    from shop import ShopRepository

    # A repository's default client goes to the endpoint too, never to AWS.
    assert ShopRepository().table.client.meta.endpoint_url == {dynamodb_endpoint_url!r}
"""
    )
    result = run(pytester, "--dynamodel-endpoint", dynamodb_endpoint_url)
    result.assert_outcomes(passed=7, failed=1)
    result.stdout.fnmatch_lines([f"dynamodel: test tables on endpoint {dynamodb_endpoint_url}*"])
    made = {n for entry in records(record) for n in entry["made"]}
    assert len(made) == 8 and all(n.startswith("Shop-ci-") for n in made)
    for entry in records(record):
        assert entry["left"] == [], entry["test"]
    remaining = set(client_for(backend, dynamodb_endpoint_url).list_tables()["TableNames"])
    assert not made & remaining
