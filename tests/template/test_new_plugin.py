"""``ileti new-plugin``: the skeleton it writes installs, is ruff- and mypy-clean,
and passes the conformance suite as generated.

The generated plugin is installed with pip into a folder of its own
(``--target``), never into the shared virtual environment, and its tests run
in a subprocess with that folder on ``PYTHONPATH``: ``importlib.metadata``
reads the ``*.dist-info`` there, so the plugin's entry point is found. pip
builds it in an isolated build environment (the venv's own setuptools cannot
build a wheel: it has no ``wheel`` package), fetched from the configured
package index like every other build of the repository.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest

from ileti import host
from ileti.cli import EXIT_INVALID, EXIT_USAGE, main
from ileti.cli.new_plugin import FILES, MAX_NAME, MAX_TITLE, render
from ileti_conformance import STANDARD_CHECKS

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "core" / "src" / "ileti" / "templates" / "plugin"
DOC = ROOT / "docs" / "writing-a-plugin.md"
WORKFLOW = ".github/workflows/conformance.yml"
#: skips the suite itself makes for this plugin, with their reasons: live checks
#: are opt-in, and the skeleton implements no send_multi (NotSupported for it is
#: checked by test_send_multi_round_trip, which must pass)
ALLOWED_SKIPS = {
    "test_live_balance": "live mode is off",
    "test_live_senders": "live mode is off",
    "test_batch_parts_match_billing": "does not implement send_multi",
    # the skeleton declares no scheduling (its gateway's document decides)
    "test_schedule_arrives_as_asked": "declares no scheduling",
    "test_a_scheduled_send_can_be_reported_on": "declares no scheduling",
    "test_validity_arrives_as_asked": "declares no validity",
}
TIMEOUT = 300
PIP = [sys.executable, "-m", "pip", "--quiet", "--disable-pip-version-check"]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No ILETI_* variable or user config reaches the command or the subprocesses."""
    for name in list(os.environ):
        if name.startswith("ILETI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ILETI_CONFIG", str(tmp_path / "absent-config.toml"))
    host.clear_caches()
    yield
    host.clear_caches()


def _run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def _generate(
    capsys: pytest.CaptureFixture[str], name: str, parent: Path, *extra: str
) -> tuple[int, str, str]:
    code = main(["new-plugin", name, "--dir", str(parent), *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _counts(summary: str) -> dict[str, int]:
    """``29 passed, 3 skipped in 5.6s`` -> ``{"passed": 29, "skipped": 3}``."""
    found = re.findall(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed)", summary)
    return {word.rstrip("s") if word.startswith("error") else word: int(n) for n, word in found}


def test_generated_plugin_installs_and_passes_the_conformance_suite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _generate(capsys, "acme-sms", tmp_path / "work")
    assert code == 0, err
    plugin = tmp_path / "work" / "ileti-acme-sms"
    rendered = render("acme-sms")
    written = {p.relative_to(plugin).as_posix() for p in plugin.rglob("*") if p.is_file()}
    assert written == set(rendered)
    for relative in rendered:
        assert relative in out, f"the command did not list {relative}"
    assert "src/ileti_acme_sms/plugin.py" in written
    assert (plugin / "src/ileti_acme_sms/py.typed").read_text() == ""

    site = tmp_path / "site"
    pip = _run(
        [*PIP, "install", "--no-deps", "--no-compile", "--target", str(site), str(plugin)],
        cwd=tmp_path,
    )
    assert pip.returncode == 0, pip.stdout + pip.stderr
    entry_points = next(site.glob("ileti_acme_sms-*.dist-info")) / "entry_points.txt"
    assert "[ileti.providers]\nacme-sms = ileti_acme_sms.plugin" in entry_points.read_text()
    assert (site / "ileti_acme_sms" / "py.typed").exists()

    # the conformance suite (and the plugin's own tests) against the installed copy, in
    # the background while ruff and mypy look at the sources
    junit = tmp_path / "junit.xml"
    suite = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={junit}"],
        cwd=plugin,
        env={**os.environ, "PYTHONPATH": str(site), "HYPOTHESIS_PROFILE": "ci"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for args in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
            ruff = _run([sys.executable, "-m", "ruff", *args], cwd=plugin)
            assert ruff.returncode == 0, f"ruff {args[0]}:\n{ruff.stdout}{ruff.stderr}"
        mypy = _run(
            [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy-cache")],
            cwd=plugin,
        )
        assert mypy.returncode == 0, f"mypy --strict:\n{mypy.stdout}{mypy.stderr}"
        assert "Success: no issues found in 7 source files" in mypy.stdout
        output, _ = suite.communicate(timeout=TIMEOUT)
    finally:
        if suite.poll() is None:
            suite.kill()
            suite.communicate()

    summary = output.strip().splitlines()[-1]
    counts = _counts(summary)
    assert suite.returncode == 0, output[-6000:]
    assert counts.get("failed", 0) == 0, summary
    assert counts.get("error", 0) == 0, summary
    assert counts.get("passed", 0) >= len(STANDARD_CHECKS), summary
    shown = re.search(r"=+ (\d+) passed, (\d+) skipped in", DOC.read_text(encoding="utf-8"))
    assert shown, "docs/writing-a-plugin.md shows no summary of the skeleton's first run"
    assert (counts.get("passed"), counts.get("skipped")) == (int(shown[1]), int(shown[2])), (
        f"docs/writing-a-plugin.md shows {shown[0]!r}; the skeleton gives {summary!r}"
    )

    cases = ElementTree.parse(junit).getroot().iter("testcase")  # noqa: S314 - our own file
    outcomes: dict[str, str] = {}
    for case in cases:
        name = f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name')}"
        skipped = case.find("skipped")
        assert case.find("failure") is None, name
        assert case.find("error") is None, name
        outcomes[name] = skipped.get("message", "") if skipped is not None else "passed"
    ran = {name.split("::")[1].split("[")[0] for name in outcomes if "Conformance::" in name}
    assert ran == set(STANDARD_CHECKS), f"standard checks not run: {set(STANDARD_CHECKS) - ran}"
    assert outcomes["test_wire::test_the_documented_report_maps_to_ileti_states"] == "passed"
    for name, outcome in outcomes.items():
        if outcome == "passed":
            continue
        check = name.split("::")[1].split("[")[0]
        assert check in ALLOWED_SKIPS, f"{name} was skipped: {outcome}"
        assert ALLOWED_SKIPS[check] in outcome, f"{name} was skipped: {outcome}"
    assert counts.get("skipped", 0) == sum(o != "passed" for o in outcomes.values())


@pytest.mark.parametrize(
    ("name", "title"),
    [("x", None), ("abcdefghij-klmnopqrs-tuvwxyz-1", "Ç" * MAX_TITLE), ("w" * MAX_NAME, "W" * 50)],
    ids=["shortest", "hyphens-and-turkish-title", "longest"],
)
def test_shortest_and_longest_names_stay_ruff_clean(
    name: str, title: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert len(name) <= MAX_NAME
    code, _, err = _generate(capsys, name, tmp_path, *(["--title", title] if title else []))
    assert code == 0, err
    plugin = tmp_path / f"ileti-{name}"
    for args in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        ruff = _run([sys.executable, "-m", "ruff", *args], cwd=plugin)
        assert ruff.returncode == 0, f"ruff {args[0]}:\n{ruff.stdout}{ruff.stderr}"
    if title:
        package = "ileti_" + name.replace("-", "_")
        assert f'TITLE = "{title}"' in (plugin / "src" / package / "plugin.py").read_text()


def test_a_test_with_a_password_literal_stays_ruff_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plugin's first test of its own logs in with a made-up password."""
    code, _, err = _generate(capsys, "acme-sms", tmp_path)
    assert code == 0, err
    plugin = tmp_path / "ileti-acme-sms"
    (plugin / "tests" / "test_login.py").write_text(
        '"""Logging in."""\n\n\n'
        "def login(user: str, password: str) -> bool:\n"
        '    return password == "hunter2-test"\n\n\n'
        "def test_login() -> None:\n"
        '    password = "hunter2-test"\n'
        '    assert login("ali", password=password)\n'
        '    assert not login("ali", password="wrong")\n'
        '    folder = "/tmp/ileti-login"\n'
        '    assert folder.startswith("/tmp/")\n',
        encoding="utf-8",
    )
    ruff = _run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=plugin)
    assert ruff.returncode == 0, f"ruff check:\n{ruff.stdout}{ruff.stderr}"


def test_placeholders_are_filled_from_the_name(tmp_path: Path) -> None:
    files = render("acme-sms")
    pyproject = files["pyproject.toml"]
    assert 'name = "ileti-acme-sms"' in pyproject
    assert '[project.entry-points."ileti.providers"]\nacme-sms = "ileti_acme_sms.plugin"' in (
        pyproject
    )
    assert 'dependencies = ["ileti>=0.1,<1"]' in pyproject
    assert 'test = ["ileti-conformance", "pytest", "hypothesis"]' in pyproject
    assert 'ileti_acme_sms = ["py.typed"]' in pyproject
    assert 'TITLE = "Acme SMS"' in files["src/ileti_acme_sms/plugin.py"]
    assert "class AcmeSmsEmulator(EmulatorBase)" in files["src/ileti_acme_sms/emulator.py"]
    assert "class TestAcmeSmsConformance(ProviderConformance)" in files["tests/test_conformance.py"]
    assert "ILETI_ACME_SMS_API_KEY" in files["README.md"]
    assert "${{ matrix.python-version }}" in files[WORKFLOW]
    for relative, text in files.items():
        assert "$name" not in text, relative
        assert "${" not in text.replace("${{", ""), relative


def test_every_template_is_used_and_shipped_as_package_data(tmp_path: Path) -> None:
    on_disk = {p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*") if p.is_file()}
    assert on_disk == {template for template, _ in FILES}
    # built from a copy: setuptools writes build/ and *.egg-info beside the sources
    source = tmp_path / "core"
    shutil.copytree(
        ROOT / "core", source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
    )
    wheels = tmp_path / "wheels"
    build = _run([*PIP, "wheel", "--no-deps", "-w", str(wheels), str(source)], cwd=tmp_path)
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = wheels.glob("ileti-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    for template in on_disk:
        assert f"ileti/templates/plugin/{template}" in shipped, template


def test_an_existing_folder_is_never_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = _generate(capsys, "acme", tmp_path)
    assert code == 0
    mine = tmp_path / "ileti-acme" / "src" / "ileti_acme" / "plugin.py"
    mine.write_text("# my work\n", encoding="utf-8")
    code, out, err = _generate(capsys, "acme", tmp_path)
    assert code == EXIT_INVALID == 3
    assert "already exists" in err
    assert "never overwrites" in err
    assert out == ""
    assert mine.read_text(encoding="utf-8") == "# my work\n"

    (tmp_path / "ileti-empty").mkdir()
    code, _, err = _generate(capsys, "empty", tmp_path)
    assert code == 3
    assert "already exists" in err
    assert list((tmp_path / "ileti-empty").iterdir()) == []

    a_file = tmp_path / "a-file"
    a_file.write_text("x", encoding="utf-8")
    code, _, err = _generate(capsys, "acme", a_file)
    assert code == 3
    assert "is not a folder" in err


@pytest.mark.parametrize(
    "name",
    [
        *("Acme", "acme_sms", "-acme", "acme-", "acme--sms", "1acme", "acme.sms", "ileti-acme"),
        *("", "a" * (MAX_NAME + 1)),
    ],
)
def test_a_malformed_name_is_a_usage_error(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _generate(capsys, name, tmp_path)
    assert code == EXIT_USAGE == 2
    assert "NAME" in err  # "-acme" reads as an unknown option: NAME is then missing
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("title", ['Acme "SMS"', "Acme\\SMS", "x" * (MAX_TITLE + 1), " "])
def test_a_title_that_needs_escaping_is_a_usage_error(
    title: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _generate(capsys, "acme", tmp_path, "--title", title)
    assert code == 2
    assert "--title" in err
    assert list(tmp_path.iterdir()) == []


def test_json_output_names_the_plugin_and_its_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _generate(capsys, "acme", tmp_path, "--json", "--title", "Acme Mesaj")
    assert code == 0, err
    data = json.loads(out)
    assert data["distribution"] == "ileti-acme"
    assert data["package"] == "ileti_acme"
    assert Path(data["path"]) == (tmp_path / "ileti-acme").resolve()
    assert data["files"] == sorted(render("acme"))
    assert data["installed_elsewhere"] is None
    plugin_py = (tmp_path / "ileti-acme" / "src" / "ileti_acme" / "plugin.py").read_text()
    assert 'TITLE = "Acme Mesaj"' in plugin_py


def test_a_provider_id_already_installed_is_pointed_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _generate(capsys, "efecell", tmp_path)
    assert code == 0
    assert "already installed (from ileti-efecell)" in err


def test_the_guide_walks_through_every_generated_file_and_ends_with_the_workflow() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert "ileti new-plugin acme" in text
    for relative in render("acme"):
        assert relative.split("/")[-1] in text, f"the guide never mentions {relative}"
    assert "reference/hooks.md" in text
    blocks = re.findall(r"^```(\w*)\n(.*?)^```\s*$", text, flags=re.S | re.M)
    language, last = blocks[-1]
    assert language == "yaml"
    assert last == render("acme")[WORKFLOW], "the guide's workflow is not the template's"
    assert text.rstrip().endswith("```"), "the guide ends with the workflow file"


def test_the_guide_quotes_the_generated_code_as_it_is() -> None:
    """Each block labelled ``# PATH (excerpt)`` holds lines of that generated
    file, in order (for ``ileti new-plugin acme --title "Acme SMS"``)."""
    files = render("acme", "Acme SMS")
    text = DOC.read_text(encoding="utf-8")
    excerpts = re.findall(r"^```\w*\n# (\S+) \(excerpt\)\n(.*?)^```", text, flags=re.S | re.M)
    assert len(excerpts) >= 5
    for path, block in excerpts:
        lines = files[path].splitlines()
        at = 0
        for line in filter(None, block.splitlines()):
            assert line in lines[at:], f"{path}: {line!r} is not in the generated file (in order)"
            at = lines.index(line, at) + 1
