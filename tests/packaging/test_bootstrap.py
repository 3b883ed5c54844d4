"""``.ci/bootstrap --demo`` (what ``.ci/demo`` runs) installs the core and the
plugins only; ``.ci/bootstrap`` installs everything. Run on a copy of the
scripts with a stand-in for the virtual environment's Python that records
what it was asked to install (no network, nothing installed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

_RECORDER = """#!/usr/bin/env bash
echo "$*" >> "$(dirname "$0")/../../pip-calls.log"
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(ROOT / ".ci", copy / ".ci")
    for pyproject in [
        "core/pyproject.toml",
        "conformance/pyproject.toml",
        *(str(p.relative_to(ROOT)) for p in ROOT.glob("plugins/*/pyproject.toml")),
        *(str(p.relative_to(ROOT)) for p in ROOT.glob("core/tests/fixtures/*/pyproject.toml")),
    ]:
        (copy / pyproject).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / pyproject, copy / pyproject)
    python = copy / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(_RECORDER)
    python.chmod(0o755)
    return copy


def _installs(repo: Path, *args: str) -> list[str]:
    log = repo / "pip-calls.log"
    log.unlink(missing_ok=True)
    subprocess.run([str(repo / ".ci" / "bootstrap"), *args], cwd=repo, check=True, timeout=60)
    return log.read_text().splitlines() if log.exists() else []


def test_the_demo_installs_only_the_core_and_the_plugins(repo: Path) -> None:
    [upgrade, install] = _installs(repo, "--demo")
    assert "--upgrade pip" in upgrade
    assert "-e core" in install
    plugins = sorted(p.name for p in (ROOT / "plugins").iterdir() if p.is_dir())
    assert all(f"-e plugins/{name}/" in install for name in plugins)
    for tool in ("requirements-dev", "conformance", "fixtures"):
        assert tool not in install
    assert _installs(repo, "--demo") == []  # nothing changed: nothing to do


def test_the_full_bootstrap_installs_the_tools_and_covers_the_demo(repo: Path) -> None:
    [_, install] = _installs(repo)
    assert "-r .ci/requirements-dev.txt" in install
    assert "-e conformance" in install
    assert "core/tests/fixtures/ileti-testprovider/" in install
    assert _installs(repo, "--demo") == []  # everything is already there
    assert _installs(repo) == []
    (repo / "core" / "pyproject.toml").write_text("# changed\n")
    assert len(_installs(repo, "--demo")) == 2


def test_the_readme_gives_exactly_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## On a fresh machine", 1)[1].split("\n## ", 1)[0]
    blocks = [b.split("\n", 1)[1].strip() for b in section.split("```sh")[1:]]
    assert [b.split("```")[0].strip() for b in blocks] == [".ci/demo", ".ci/test"]
    demo = (ROOT / ".ci" / "demo").read_text()
    assert ".ci/bootstrap --demo" in demo
