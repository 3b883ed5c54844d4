"""Every example program in docs/examples runs, and every one is shown on a page."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
EXAMPLES = sorted((DOCS / "examples").glob("*.py"))
ROOT = DOCS.parent
SNIPPET = re.compile(r'^--8<-- "([\w./-]+)"$', re.M)


def _pages() -> dict[Path, list[str]]:
    return {
        page: SNIPPET.findall(page.read_text("utf-8"))
        for page in DOCS.rglob("*.md")
        if "examples" not in page.parts
    }


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(example: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ILETI_")}
    env["ILETI_CONFIG"] = str(tmp_path / "absent.toml")  # no user's config file
    proc = subprocess.run(
        [sys.executable, str(example)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip(), "an example shows what it did"


def test_every_example_is_on_a_page_and_every_snippet_exists() -> None:
    shown = {name for names in _pages().values() for name in names}
    assert {f"examples/{p.name}" for p in EXAMPLES} <= shown
    for name in shown:
        assert (DOCS / name).is_file() or (ROOT / name).is_file(), name
