"""``ileti new-plugin``: a working skeleton of a provider plugin, from templates.

The templates are plain files shipped with ileti (``ileti/templates/plugin``,
package data) with a few :class:`string.Template` placeholders (``$name``,
``$package``, ...; ``$$`` is a literal dollar sign), so no template engine is
needed. The skeleton talks to a tiny JSON API of the template's own, ships an
emulator of it, and passes the conformance suite as generated.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping

from ileti.cli import COMMANDS, EXIT_INVALID, CliError

TYPE_CHECKING = False  # not typing's: importing typing costs ``ileti --help`` 4 ms
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

__all__ = [
    "FILES",
    "MAX_NAME",
    "MAX_TITLE",
    "create",
    "placeholders",
    "register",
    "render",
    "run",
    "template_text",
    "valid_name",
    "valid_title",
]

#: a provider id: lowercase letters and digits, words joined by single hyphens
NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
MAX_NAME = 30
MAX_TITLE = 50
#: characters a title may not hold: they would need escaping in Python, TOML
#: and docstrings (and a title is one line)
_TITLE_FORBIDDEN = re.compile(r'["\\\x00-\x1f\x7f]')
#: words of a provider id written in capitals in the default title
_ACRONYMS = frozenset({"sms", "mms", "gsm", "api", "otp"})

#: template file (under ``ileti/templates/plugin``) -> path in the new plugin;
#: ``{package}`` is the import name
FILES: tuple[tuple[str, str], ...] = (
    ("pyproject.toml.tmpl", "pyproject.toml"),
    ("README.md.tmpl", "README.md"),
    ("gitignore.tmpl", ".gitignore"),
    ("package/__init__.py.tmpl", "src/{package}/__init__.py"),
    ("package/py.typed.tmpl", "src/{package}/py.typed"),
    ("package/settings.py.tmpl", "src/{package}/settings.py"),
    ("package/wire.py.tmpl", "src/{package}/wire.py"),
    ("package/plugin.py.tmpl", "src/{package}/plugin.py"),
    ("package/emulator.py.tmpl", "src/{package}/emulator.py"),
    ("tests/test_conformance.py.tmpl", "tests/test_conformance.py"),
    ("tests/test_wire.py.tmpl", "tests/test_wire.py"),
    ("github/workflows/conformance.yml.tmpl", ".github/workflows/conformance.yml"),
)


def valid_name(text: str) -> str:
    """The provider id, checked (an ``argparse`` type: a bad one is a usage error)."""
    name = text.strip()
    if name.startswith("ileti-"):
        raise argparse.ArgumentTypeError(
            f"give the provider id without the ileti- prefix: {name.removeprefix('ileti-')!r} "
            f"makes the distribution {name!r}"
        )
    if not NAME.fullmatch(name) or len(name) > MAX_NAME:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a provider id: use lowercase letters and digits, words joined "
            f"by single hyphens, starting with a letter, at most {MAX_NAME} characters "
            "(e.g. acme or acme-sms)"
        )
    return name


def valid_title(text: str) -> str:
    """The provider's human name, checked (an ``argparse`` type)."""
    title = " ".join(text.split())
    if not title or len(title) > MAX_TITLE or _TITLE_FORBIDDEN.search(title):
        raise argparse.ArgumentTypeError(
            f"{text[:60]!r} is not a usable title: give 1 to {MAX_TITLE} characters, "
            'without " or \\ (e.g. "Acme SMS")'
        )
    return title


def placeholders(name: str, title: str | None = None) -> dict[str, str]:
    """The values the templates are filled with, for the provider id ``name``."""
    from ileti import __version__

    words = name.split("-")
    major, minor = (int(part) for part in __version__.split(".")[:2])
    return {
        "name": name,
        "title": title or " ".join(w.upper() if w in _ACRONYMS else w.capitalize() for w in words),
        "dist": f"ileti-{name}",
        "package": "ileti_" + "_".join(words),
        "camel": "".join(w.capitalize() for w in words),
        "env": "ILETI_" + "_".join(words).upper(),
        "ileti_requirement": f"ileti>={major}.{minor},<{major + 1}",
    }


def template_text(template: str) -> str:
    """A template file's text (read from ileti's package data)."""
    from importlib.resources import files

    return files("ileti").joinpath("templates", "plugin", template).read_text(encoding="utf-8")


def render(name: str, title: str | None = None) -> dict[str, str]:
    """Every file of the new plugin: relative path -> content."""
    import string

    values = placeholders(name, title)
    return {
        target.format(package=values["package"]): string.Template(
            template_text(template)
        ).substitute(values)
        for template, target in FILES
    }


def create(name: str, parent: Path, title: str | None = None) -> Path:
    """Write the plugin ``ileti-NAME`` into ``parent`` (created if missing).

    Raises :class:`CliError` (exit code 3) when the folder already exists or
    cannot be written; nothing is left half-written.
    """
    import shutil

    files = render(name, title)  # before touching the disk: a bad template writes nothing
    target = parent / f"ileti-{name}"
    if parent.exists() and not parent.is_dir():
        raise CliError(f"--dir {parent} is not a folder", EXIT_INVALID)
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"cannot create {parent}: {exc.strerror or exc}", EXIT_INVALID) from None
    try:
        target.mkdir()
    except FileExistsError:
        raise CliError(
            f"{target} already exists; new-plugin never overwrites a folder: remove it, "
            "or choose another --dir or NAME",
            EXIT_INVALID,
        ) from None
    except OSError as exc:
        raise CliError(f"cannot create {target}: {exc.strerror or exc}", EXIT_INVALID) from None
    try:
        for relative, content in files.items():
            path = target / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8", newline="\n")
    except OSError as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise CliError(f"cannot write {target}: {exc.strerror or exc}", EXIT_INVALID) from None
    return target


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "new-plugin",
        help=COMMANDS["new-plugin"],
        description="Generate ileti-NAME, a provider plugin that works as generated: "
        "package, entry point, settings, wire models, hooks, an emulator, tests that run "
        "the conformance suite, and a CI workflow. It talks to a tiny JSON API of the "
        "template's own: replace that with your gateway's. An existing folder is never "
        "overwritten.",
    )
    p.add_argument(
        "name",
        metavar="NAME",
        type=valid_name,
        help="the provider id: lowercase letters, digits and hyphens (e.g. acme-sms); "
        "the distribution is ileti-NAME and the package ileti_NAME (hyphens as _)",
    )
    p.add_argument(
        "--dir",
        metavar="PATH",
        default=".",  # a str: made a Path when the command runs (pathlib is slow to import)
        help="the folder to create ileti-NAME in (default: the current folder)",
    )
    p.add_argument(
        "--title",
        metavar="TITLE",
        type=valid_title,
        default=None,
        help='the provider\'s human name, e.g. "Acme SMS" (default: from NAME)',
    )
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p.set_defaults(func=run)


def _already_installed(name: str) -> str | None:
    from ileti.host import available_providers

    for entry in available_providers():
        if entry.name == name:
            return entry.distribution or "another distribution"
    return None


def run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    name: str = args.name
    target = create(name, Path(args.dir), args.title)
    values = placeholders(name, args.title)
    files = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    clash = _already_installed(name)
    if args.json:
        summary: Mapping[str, object] = {
            "name": name,
            "distribution": values["dist"],
            "package": values["package"],
            "path": str(target.resolve()),
            "files": files,
            "installed_elsewhere": clash,
        }
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print(f"Created {values['dist']} in {target}:")
        for file in files:
            print(f"  {file}")
        print("Next:")
        print(f"  cd {target}")
        print('  python -m pip install -e ".[test]"')
        print("  python -m pytest          # your tests and the conformance suite")
        print(f"  ileti emulate {name}    # the emulator, to try it by hand")
    if clash:
        print(
            f"ileti: note: a provider named {name!r} is already installed (from {clash}); "
            "two plugins cannot share a provider id",
            file=sys.stderr,
        )
    return 0
