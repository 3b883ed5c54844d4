"""Every distribution of the repository builds, with the oldest setuptools it
declares, into an sdist and a wheel that pass ``twine check --strict`` and
carry the LICENSE, complete metadata and a README whose links work on an
index page.

The development environment pins setuptools to that oldest version
(``.ci/requirements-dev.txt``), and the builds run without isolation, so
they use it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from email.parser import HeaderParser
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DISTRIBUTIONS = [
    ROOT / "core",
    ROOT / "conformance",
    *sorted(p.parent for p in (ROOT / "plugins").glob("*/pyproject.toml")),
]
IDS = [str(d.relative_to(ROOT)) for d in DISTRIBUTIONS]
LICENSE = (ROOT / "LICENSE").read_text(encoding="utf-8")


def _project(dist: Path) -> dict[str, object]:
    return tomllib.loads((dist / "pyproject.toml").read_text(encoding="utf-8"))


def _oldest_setuptools(dist: Path) -> str:
    requires = _project(dist)["build-system"]["requires"]  # type: ignore[index]
    [spec] = [r for r in requires if r.startswith("setuptools")]  # type: ignore[union-attr]
    match = re.fullmatch(r"setuptools>=([0-9.]+)", spec)
    assert match, f"{dist.name}: declare setuptools as 'setuptools>=X.Y', not {spec!r}"
    return match.group(1)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, tuple[Path, Path]]:
    """Each distribution's (sdist, wheel), built once for the module."""
    out = tmp_path_factory.mktemp("dist")
    found: dict[Path, tuple[Path, Path]] = {}
    leftovers = shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
    for dist in DISTRIBUTIONS:
        source = out / "src" / dist.name  # a copy: the build writes next to its sources
        shutil.copytree(dist, source, ignore=leftovers)
        target = out / dist.name
        done = subprocess.run(
            [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(target), str(source)],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, f"{dist.name} does not build:\n{done.stdout[-4000:]}"
        [sdist] = target.glob("*.tar.gz")
        [wheel] = target.glob("*.whl")
        found[dist] = (sdist, wheel)
    return found


def test_the_environment_builds_with_the_oldest_setuptools_declared() -> None:
    oldest = {_oldest_setuptools(d) for d in DISTRIBUTIONS}
    assert len(oldest) == 1, f"the distributions declare different setuptools: {oldest}"
    assert version("setuptools") == oldest.pop(), (
        "the development environment must hold the oldest setuptools the distributions "
        "declare (.ci/requirements-dev.txt pins it; run .ci/bootstrap)"
    )


def test_twine_check_passes(built: dict[Path, tuple[Path, Path]]) -> None:
    files = [str(f) for pair in built.values() for f in pair]
    done = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *files],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=IDS)
def test_the_license_is_in_the_repository_the_sdist_and_the_wheel(
    dist: Path, built: dict[Path, tuple[Path, Path]]
) -> None:
    assert LICENSE.startswith("MIT License")
    assert (dist / "LICENSE").read_text(encoding="utf-8") == LICENSE
    sdist, wheel = built[dist]
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
        top = names[0].split("/")[0]
        member = tar.extractfile(f"{top}/LICENSE")
        assert member is not None
        assert member.read().decode() == LICENSE
        assert not [n for n in names if n.startswith(f"{top}/tests/")], (
            "the sdist ships tests that cannot run outside the repository"
        )
    with zipfile.ZipFile(wheel) as whl:
        [licence] = [n for n in whl.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
        assert whl.read(licence).decode() == LICENSE


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=IDS)
def test_the_metadata_is_complete(dist: Path, built: dict[Path, tuple[Path, Path]]) -> None:
    _, wheel = built[dist]
    with zipfile.ZipFile(wheel) as whl:
        [name] = [n for n in whl.namelist() if n.endswith(".dist-info/METADATA")]
        meta = HeaderParser().parsestr(whl.read(name).decode())
    assert meta["License-Expression"] == "MIT"
    assert meta["Author"]
    assert meta["Keywords"]
    assert {"Homepage", "Documentation", "Source", "Issues"} <= {
        url.split(",")[0] for url in meta.get_all("Project-URL", [])
    }
    classifiers = meta.get_all("Classifier", [])
    assert "Typing :: Typed" in classifiers
    assert "Programming Language :: Python :: 3.11" in classifiers
    for requirement in meta.get_all("Requires-Dist", []):
        if requirement.startswith("cattrs"):
            assert "<" in requirement, f"cattrs breaks its API between years: {requirement}"


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=IDS)
def test_the_readme_links_work_on_an_index_page(dist: Path) -> None:
    readme = (dist / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)\s]+)\)", readme)
    relative = [t for t in targets if not re.match(r"(https?:|mailto:|#)", t)]
    assert not relative, f"{dist.name}/README.md links relative paths: {relative}"
