"""The pytest plugin (`dynamodel.testing`, docs/testing.md), its safety and configuration:
real AWS refused unless `--dynamodel-aws` names a stage (and never from an ini file), the
errors that say what to set, seeding that needs the package's spec, no boto3, moto or
compiler imported at pytest's startup, and the plugin shipped with dynamodel, not with the
runtime. The user's project is tests/plugin_project.py."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.plugin_project import INI, SPEC, run, user_project

# pytester, and the user_credentials fixture of the project's support module
pytest_plugins = ["pytester", "tests.plugin_project"]


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
