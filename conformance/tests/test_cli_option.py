"""``pytest --ileti-provider NAME`` from any folder, against an installed provider.

FakeSMS is "installed" for these runs by a ``*.dist-info`` folder with an
``ileti.providers`` entry point, put on ``PYTHONPATH`` of a fresh pytest
process: the same discovery a real ``pip install`` gives.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

TESTS_DIR = Path(__file__).resolve().parent
SELECT = "protocol or send_round_trip or missing_setting"


@pytest.fixture
def installed(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A site folder where FakeSMS is an installed provider."""
    site = tmp_path_factory.mktemp("site")
    dist = site / "ileti_fakesms_fixture-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: ileti-fakesms-fixture\nVersion: 0.1\n"
    )
    (dist / "entry_points.txt").write_text("[ileti.providers]\nfakesms = ileti_fakesms:PLUGIN\n")
    path = os.pathsep.join([str(site), str(TESTS_DIR), os.environ.get("PYTHONPATH", "")])
    monkeypatch.setenv("PYTHONPATH", path)
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:cacheprovider")
    return site


def test_runs_the_suite_from_an_empty_folder(pytester: pytest.Pytester, installed: Path) -> None:
    result = pytester.runpytest_subprocess("--ileti-provider", "fakesms", "-k", SELECT, "-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        ["cli_suite.py::TestIletiProvider::test_send_round_trip[[]fakesms[]] PASSED*"]
    )


def test_runs_next_to_the_projects_own_tests(pytester: pytest.Pytester, installed: Path) -> None:
    pytester.makepyfile(test_local="def test_local():\n    pass\n")
    result = pytester.runpytest_subprocess(
        "test_local.py", "--ileti-provider", "fakesms", "-k", f"local or {SELECT}"
    )
    result.assert_outcomes(passed=4)


def test_without_the_option_the_suite_is_not_collected(
    pytester: pytest.Pytester, installed: Path
) -> None:
    pytester.makepyfile(test_local="def test_local():\n    pass\n")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)
    suite_dir = Path(__import__("ileti_conformance").__file__).parent
    result = pytester.runpytest_subprocess(str(suite_dir), "--collect-only", "-q")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_several_providers_and_all(pytester: pytest.Pytester, installed: Path) -> None:
    result = pytester.runpytest_subprocess(
        "--ileti-provider", "fakesms,fakesms", "--collect-only", "-q", "-k", "send_round_trip"
    )
    result.stdout.fnmatch_lines(["*test_send_round_trip[[]fakesms[]]", "1/* tests collected*"])
    result = pytester.runpytest_subprocess(
        "--ileti-provider", "all", "--collect-only", "-q", "-k", "fakesms and send_round_trip"
    )
    result.stdout.fnmatch_lines(["*test_send_round_trip[[]fakesms[]]"])


@pytest.mark.parametrize("mode", ["prepend", "importlib"])
def test_import_modes_and_pyargs(pytester: pytest.Pytester, installed: Path, mode: str) -> None:
    result = pytester.runpytest_subprocess(
        "--ileti-provider", "fakesms", "-k", SELECT, f"--import-mode={mode}"
    )
    result.assert_outcomes(passed=3)
    result = pytester.runpytest_subprocess(
        "--pyargs", "--ileti-provider", "fakesms", "-k", SELECT, f"--import-mode={mode}"
    )
    result.assert_outcomes(passed=3)


def test_an_unknown_provider_is_a_usage_error(pytester: pytest.Pytester, installed: Path) -> None:
    result = pytester.runpytest_subprocess("--ileti-provider", "nosuchgateway")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--ileti-provider: no provider named 'nosuchgateway' is installed (installed:*fakesms*"]
    )


def test_the_ileti_emulated_fixture(pytester: pytest.Pytester, installed: Path) -> None:
    pytester.makepyfile(
        test_app="""
        def test_app(ileti_emulated):
            em = ileti_emulated("fakesms")
            result = em.client.send("0532 111 22 39", "Merhaba", sender="FAKESMS")
            assert result.accepted
            assert em.emulator.messages[-1].text == "Merhaba"
            em.emulator.clock.advance(60)
            [r] = em.client.report(result.message_id).recipients
            assert r.state == "undelivered"
        """
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)


def test_the_options_are_in_the_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(["*--ileti-provider=NAME*", "*--ileti-live*"])


def test_the_pytest_plugin_is_cheap_to_import() -> None:
    code = (
        "import sys, ileti_conformance.pytest_plugin\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('ileti', 'hypothesis', 'urllib3', 'attrs', 'cattrs', 'phonenumbers'))\n"
        "print(heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
