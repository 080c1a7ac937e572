"""The pytest plugin for users' tests (`dynamodel.testing`, docs/testing.md), run on a user's
project made here with pytest's `pytester`: a spec, the package generated from it, a Lambda
handler that builds its repository at import, and tests using the plugin's fixtures.

Each run checks what the user is promised: a fresh table per test named `<Table>-<stage>-
<random>` (embedded moto by default, the `--dynamodel-endpoint` server otherwise), the
package's table-name variable set for handlers, sample data from the spec on request, every
table deleted afterwards (also when the test fails), dummy credentials on local backends
whatever the environment holds, real AWS refused unless `--dynamodel-aws` names a stage, and
no boto3, moto or compiler imported at pytest's startup.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from dynamodel.compiler.codegen import generate_package
from dynamodel.compiler.pipeline import compile_spec
from tests.backends import client_for

pytest_plugins = ["pytester"]

SPEC = """\
version: 1
table: Shop
entities:
  Customer:
    id: [customer_id]
    attributes: {customer_id: str, email: str, name: str}
    unique: [email]
  Order:
    id: [customer_id, order_no]
    attributes:
      customer_id: str
      order_no: int
      status: {type: str, enum: [open, shipped]}
      placed_at: datetime
access_patterns:
  get_customer: {entity: Customer, by: [customer_id]}
  orders_of_customer: {entity: Order, by: [customer_id], sort: placed_at}
"""

INI = """\
[pytest]
dynamodel_package = shop
dynamodel_path = generated
dynamodel_spec = spec.yaml
"""

# After every test, once the plugin's tables are torn down (this fixture is set up before
# them, so it is torn down after them), the Shop tables left on the backend.
CONFTEST = """\
import json
from pathlib import Path

import pytest

RECORD = Path(__file__).parent / "record.jsonl"


@pytest.fixture(autouse=True)
def left_behind(request, dynamodel_client):
    made = []
    request.node.made_tables = made
    yield
    names = dynamodel_client.list_tables()["TableNames"]
    entry = {"test": request.node.name, "left": [n for n in names if n.startswith("Shop-")]}
    with RECORD.open("a") as out:
        out.write(json.dumps({**entry, "made": made}) + "\\n")
"""

HANDLER = """\
from shop import ShopRepository

repository = ShopRepository()  # at import, as a Lambda does: SHOP_TABLE_NAME names the table
"""

TESTS = """\
import os
import re

import pytest
from shop import Customer, ShopRepository

NAME = re.compile(r"Shop-{stage}-[0-9a-f]{{8}}")


def customer(number):
    return Customer(customer_id=f"c{{number}}", email=f"c{{number}}@example.com", name="C")


def test_a_fresh_empty_table(dynamodel_repository, dynamodel_table, request):
    request.node.made_tables.append(dynamodel_table.name)
    assert NAME.fullmatch(dynamodel_table.name), dynamodel_table.name
    assert type(dynamodel_repository) is ShopRepository
    assert dynamodel_repository.table_name == dynamodel_table.name
    assert os.environ["SHOP_TABLE_NAME"] == dynamodel_table.name
    assert dynamodel_table.items() == []
    dynamodel_repository.create_customer(customer(1))
    # A repository built with the defaults (client, table name) reaches the same table.
    assert ShopRepository().get_customer(customer_id="c1").email == "c1@example.com"


def test_a_handler_built_at_import_finds_the_table(dynamodel_table, request):
    request.node.made_tables.append(dynamodel_table.name)
    handler = dynamodel_table.import_fresh("handler")
    assert handler.repository.table_name == dynamodel_table.name
    handler.repository.create_customer(customer(2))
    assert dynamodel_table.repository.get_customer(customer_id="c2") is not None


@pytest.mark.dynamodel(seed=True)
def test_seeded_from_the_spec(dynamodel_table, request):
    request.node.made_tables.append(dynamodel_table.name)
    samples = dynamodel_table.samples
    assert samples is not None and len(samples.records("Customer")) == 3
    assert len(dynamodel_table.items()) == len(samples.items) == 9  # 6 records, 3 guards
    first = samples.records("Customer")[0]
    found = dynamodel_table.repository.get_customer(customer_id=first["customer_id"])
    assert found.email == first["email"]


@pytest.mark.dynamodel(seed=1)
def test_seeded_with_one_record_per_entity(dynamodel_table, request):
    request.node.made_tables.append(dynamodel_table.name)
    assert len(dynamodel_table.items()) == 3  # a customer, its email's guard, an order


@pytest.mark.parametrize("dynamodel_table", [{{"seed": 2}}], indirect=True)
def test_seeded_by_an_indirect_parameter(dynamodel_table, request):
    request.node.made_tables.append(dynamodel_table.name)
    assert len(dynamodel_table.items()) == 6


def test_more_tables_from_the_factory(dynamodel_tables, request):
    first = dynamodel_tables.create()
    request.node.made_tables.append(first.name)
    with dynamodel_tables.fresh() as second:
        request.node.made_tables.append(second.name)
        assert second.name != first.name and second.exists()
        assert os.environ["SHOP_TABLE_NAME"] == second.name
    assert not second.exists()
    assert os.environ["SHOP_TABLE_NAME"] == first.name


def test_fails_after_writing(dynamodel_repository, dynamodel_table, request):
    request.node.made_tables.append(dynamodel_table.name)
    dynamodel_repository.create_customer(customer(3))
    assert False, "fails on purpose: its table must go all the same"
"""


def user_project(pytester: pytest.Pytester, *, stage: str = "test") -> Path:
    """A project as a user has it: spec.yaml, generated/shop (dynamodel generate), a handler,
    the plugin's ini options and tests."""
    compilation = compile_spec(SPEC, path="spec.yaml")
    assert compilation.design is not None, compilation.rendered()
    for relative, text in generate_package(compilation.design, package="shop").items():
        target = pytester.path / "generated" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    pytester.makefile(".yaml", spec=SPEC)
    pytester.makeini(INI)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(handler=HANDLER, test_shop=TESTS.format(stage=stage))
    return pytester.path / "record.jsonl"


def run(pytester: pytest.Pytester, *arguments: str) -> pytest.RunResult:
    """The user's pytest, in process; pytest-benchmark (if installed) left out: under xdist
    it warns in every run that it is off."""
    return pytester.runpytest("-p", "no:cacheprovider", "-p", "no:benchmark", *arguments)


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def user_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials of a real-looking account in the environment: the plugin must not send
    them to a test backend, nor let a test reach that account."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUSERSOWNKEY00000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "users-own-secret")
    for name in ("DYNAMODEL_TEST_ENDPOINT", "DYNAMODEL_TEST_AWS", "DYNAMODEL_TEST_STAGE"):
        monkeypatch.delenv(name, raising=False)


CREDENTIALS_CHECK = """\
def test_the_credentials_are_dummy(dynamodel_client, dynamodel_backend):
    import os

    signer = dynamodel_client._request_signer._credentials
    # Dummy ones (moto's own in process): not the user's, for no client of the test.
    assert signer.access_key != "AKIAUSERSOWNKEY00000"
    assert os.environ["AWS_ACCESS_KEY_ID"] != "AKIAUSERSOWNKEY00000"
    assert dynamodel_backend.aws is False
"""


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


@pytest.mark.parametrize(
    ("arguments", "environment", "message"),
    [
        (
            ["--dynamodel-endpoint", "https://dynamodb.eu-west-1.amazonaws.com"],
            {},
            "*is AWS itself: tests reach a real account only with --dynamodel-aws*",
        ),
        (
            [],
            {"DYNAMODEL_TEST_ENDPOINT": "https://dynamodb.us-east-1.api.aws"},
            "*is AWS itself*",
        ),
        (["--dynamodel-aws"], {}, "*--dynamodel-aws creates tables in a real AWS account*"),
        (
            ["--dynamodel-aws", "--dynamodel-stage", "dev", "--dynamodel-endpoint", "http://x:1"],
            {},
            "*--dynamodel-aws and --dynamodel-endpoint exclude each other*",
        ),
        ([], {"DYNAMODEL_TEST_AWS": "1"}, "*creates tables in a real AWS account*"),
        (["--dynamodel-stage", "no/slash"], {}, "*dynamodel stage 'no/slash'*"),
    ],
)
def test_real_aws_only_when_asked_with_a_stage(
    pytester: pytest.Pytester,
    user_credentials: None,
    monkeypatch: pytest.MonkeyPatch,
    arguments: list[str],
    environment: dict[str, str],
    message: str,
) -> None:
    user_project(pytester)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    result = run(pytester, *arguments)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_an_ini_file_cannot_point_tests_at_aws(
    pytester: pytest.Pytester, user_credentials: None
) -> None:
    user_project(pytester)
    pytester.makeini(INI + "dynamodel_endpoint = https://dynamodb.us-east-1.amazonaws.com\n")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*is AWS itself*"])


def test_the_aws_flag_takes_the_environments_account(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With --dynamodel-aws and a stage the plugin goes to AWS: here without credentials
    (and no instance metadata to ask), so it stops before any request, saying so."""
    user_project(pytester)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = run(pytester, "--dynamodel-aws", "--dynamodel-stage", "dev", "-k", "fresh")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["dynamodel: test tables on REAL AWS*", "*--dynamodel-aws needs AWS credentials*"],
        consecutive=False,
    )


def test_configuration_errors_say_what_to_set(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        def test_no_package(dynamodel_table):
            pass

        @pytest.mark.dynamodel(pakage="shop")
        def test_a_typo(dynamodel_table):
            pass

        @pytest.mark.dynamodel(package="nowhere_to_be_found")
        def test_no_such_package(dynamodel_table):
            pass

        @pytest.mark.dynamodel(package="dynamodel", seed="yes")
        def test_a_bad_seed(dynamodel_table):
            pass

        @pytest.mark.dynamodel(package="dynamodel:Nothing")
        def test_no_repository_class(dynamodel_table):
            pass
        """
    )
    result = run(pytester)
    result.assert_outcomes(errors=5)
    result.stdout.fnmatch_lines(
        [
            "*which generated package should the table be for? Set `dynamodel_package = NAME`*",
            "*unknown keyword(s) ?'pakage'?; it takes*",
            "*'nowhere_to_be_found' cannot be imported*set dynamodel_path*",
            "*seed='yes'): pass True, False or a number*",
            "*'dynamodel' exports no repository class named 'Nothing'; name the one to use*",
        ],
        consecutive=False,
    )


def test_seeding_needs_the_spec_of_the_package(pytester: pytest.Pytester) -> None:
    user_project(pytester)
    pytester.makeini(INI.replace("dynamodel_spec = spec.yaml\n", ""))
    pytester.makefile(".yaml", other=SPEC.replace("table: Shop", "table: Other"))
    pytester.makepyfile(
        test_shop="""
        import pytest

        @pytest.mark.dynamodel(seed=True)
        def test_without_a_spec(dynamodel_table):
            pass

        @pytest.mark.dynamodel(seed=True, spec="other.yaml")
        def test_with_another_spec(dynamodel_table):
            pass
        """
    )
    result = run(pytester)
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*seeding needs the spec: set `dynamodel_spec = PATH`*",
            "*ShopRepository is for table 'Shop', the spec '*other.yaml' for 'Other'*",
        ],
        consecutive=False,
    )


def test_pytest_starts_without_boto3_moto_or_the_compiler(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entry point loads the plugin in every run; a run whose tests use no table imports
    nothing heavy (other plugins are left out, so that only this one is measured)."""
    pytester.makepyfile(
        """
        import sys

        def test_nothing_heavy(pytestconfig):
            assert pytestconfig.pluginmanager.has_plugin("dynamodel")
            heavy = ("boto3", "botocore", "moto", "pydantic", "yaml", "dynamodel.compiler")
            assert [m for m in heavy if m in sys.modules] == []
        """
    )
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    # `-p dynamodel` loads the plugin by its entry point's name.
    result = pytester.runpytest_subprocess("-p", "dynamodel", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_the_plugin_ships_with_dynamodel_not_with_the_runtime() -> None:
    """A Lambda bundle installs dynamodel-runtime only: the plugin is never in it."""
    root = Path(__file__).resolve().parent.parent
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["entry-points"]["pytest11"] == {"dynamodel": "dynamodel.testing.plugin"}
    assert project["optional-dependencies"]["testing"] == ["pytest>=8"]
    runtime = tomllib.loads((root / "runtime" / "pyproject.toml").read_text(encoding="utf-8"))
    assert "entry-points" not in runtime["project"]
    assert not (root / "runtime" / "src" / "dynamodel" / "testing").exists()
