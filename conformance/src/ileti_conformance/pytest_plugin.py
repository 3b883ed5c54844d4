"""The ``pytest11`` entry point of ileti-conformance.

It is loaded in every pytest run of every project that has the package
installed, so it imports nothing but pytest and the standard library at
import time. It adds two options:

``--ileti-provider NAME``
    Test the installed provider ``NAME`` against its own emulator (repeat the
    option, or separate names with commas; ``all`` means every installed
    provider that ships an emulator). The folder of the installed package is
    added to the collection (alone when no test paths are given, next to them
    otherwise), and from it exactly one module is collected: the shipped suite
    ``cli_suite.py``, whatever ``python_files`` says; its tests read
    ``cli_suite.py::TestIletiProvider::test_...[NAME]``.
``--ileti-live``
    Also run the read-only live checks (balance, senders) against the real
    gateway, with settings from ``ILETI_<PROVIDER>_*`` variables.

and one fixture for application tests, ``ileti_emulated``: call it with an
installed provider's id to serve that provider's emulator on loopback and get
an :class:`ileti.testing.Emulated` (``.client``, ``.emulator``, ``.base_url``),
stopped after the test.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest

__all__ = ["SUITE_FILE", "SUITE_PACKAGE", "ileti_emulated", "provider_names"]

SUITE_PACKAGE = "ileti_conformance"
SUITE_FILE = Path(__file__).with_name("cli_suite.py")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ileti", "ileti provider conformance (ileti-conformance)")
    group.addoption(
        "--ileti-provider",
        action="append",
        default=[],
        dest="ileti_providers",
        metavar="NAME",
        help="run the ileti conformance suite against the installed provider NAME and its "
        "emulator (repeatable; comma-separated names; 'all': every installed provider "
        "with an emulator)",
    )
    group.addoption(
        "--ileti-live",
        action="store_true",
        default=False,
        dest="ileti_live",
        help="also run the read-only live conformance checks (balance, senders) against the "
        "real gateway, with settings from ILETI_<PROVIDER>_* environment variables",
    )


def provider_names(config: pytest.Config) -> list[str]:
    """The providers named with ``--ileti-provider`` (``all`` not yet expanded)."""
    raw: list[str] = config.getoption("ileti_providers", default=None) or []
    names = [name.strip() for item in raw for name in item.split(",") if name.strip()]
    return list(dict.fromkeys(names))


def _check_installed(names: list[str]) -> None:
    from ileti.host import available_providers

    installed = {entry.name for entry in available_providers()}
    missing = [name for name in names if name != "all" and name not in installed]
    if missing:
        raise pytest.UsageError(
            f"--ileti-provider: no provider named {', '.join(map(repr, missing))} is installed "
            f"(installed: {', '.join(sorted(installed)) or 'none'})"
        )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # profiles must exist before Hypothesis's own plugin loads --hypothesis-profile
    if config.getoption("hypothesis_profile", default=None) or os.environ.get("HYPOTHESIS_PROFILE"):
        from ileti_conformance.profiles import register_profiles

        register_profiles()
    names = provider_names(config)
    if not names:
        return
    _check_installed(names)
    arg = SUITE_PACKAGE if config.option.pyargs else str(SUITE_FILE.parent)
    if config.args_source is not pytest.Config.ArgsSource.ARGS:
        config.args[:] = [arg]  # only the suite: not the project's own tests
    elif arg not in config.args:
        config.args.append(arg)


def _is_suite(path: Path) -> bool:
    if path.name != SUITE_FILE.name:
        return False
    try:
        return path.parent.resolve() == SUITE_FILE.parent.resolve()
    except OSError:
        return False


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    """Collect the shipped suite when ``--ileti-provider`` is given (and only then)."""
    if not _is_suite(file_path) or not provider_names(parent.config):
        return None
    patterns: list[str] = parent.config.getini("python_files")
    if parent.session.isinitpath(file_path) or any(fnmatch(file_path.name, p) for p in patterns):
        return None  # pytest's own Python plugin collects it already
    return pytest.Module.from_parent(parent, path=file_path)


@pytest.fixture
def ileti_emulated() -> Iterator[Callable[..., Any]]:
    """``ileti_emulated("efecell", **client_kwargs)``: an installed provider's
    emulator served on loopback, with a client wired to it
    (:func:`ileti.testing.emulated`); everything stops after the test."""
    from ileti.testing import emulated

    with contextlib.ExitStack() as stack:

        def start(provider: str, **kwargs: Any) -> Any:
            return stack.enter_context(emulated(provider, **kwargs))

        yield start
