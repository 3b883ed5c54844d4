"""The plugin edge: a gateway plugin imports from one module of the core.

Our five gateway plugins and the skeleton ``ileti new-plugin`` writes use the
core only through ``ileti.plugin`` (and their emulators through the emulation
kit, ``ileti.emulation``), so everything a third party needs is in the one
module whose names the plugin API version covers and the reference documents.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

import ileti.plugin
from ileti.cli.new_plugin import render

ROOT = Path(__file__).resolve().parents[2]
GATEWAYS = ("efecell", "ekomesaj", "innomobil", "kobikom", "modexi")
#: the modules of the core a gateway plugin may import
EDGE = {"ileti.plugin", "ileti.emulation"}


def _core_imports(source: str) -> list[tuple[int, str, tuple[str, ...]]]:
    """(line, module, names) of every import of the core, nested ones included."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            module, names = node.module, tuple(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "ileti" or alias.name.startswith("ileti."):
                    found.append((node.lineno, alias.name, ()))
            continue
        else:
            continue
        if module == "ileti" or module.startswith("ileti."):
            found.append((node.lineno, module, names))
    return found


def _sources() -> list[Any]:
    """Every module of the five plugins and of the skeleton, by its path."""
    files = {
        str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
        for gateway in GATEWAYS
        for path in sorted((ROOT / "plugins" / f"ileti-{gateway}" / "src").rglob("*.py"))
    }
    skeleton = render("acme", "Acme SMS")
    files |= {f"new-plugin/{n}": text for n, text in skeleton.items() if n.endswith(".py")}
    return [pytest.param(where, text, id=where) for where, text in files.items()]


@pytest.mark.parametrize(("where", "source"), _sources())
def test_a_gateway_plugin_uses_the_core_only_through_the_edge(where: str, source: str) -> None:
    imports = _core_imports(source)
    stray = [f"line {line}: {module}" for line, module, _ in imports if module not in EDGE]
    assert not stray, f"{where} imports the core outside {sorted(EDGE)}: {stray}"


@pytest.mark.parametrize(("where", "source"), _sources())
def test_every_name_a_plugin_takes_from_the_edge_is_declared_there(where: str, source: str) -> None:
    declared = set(ileti.plugin.__all__)
    undeclared = [
        f"line {line}: {name}"
        for line, module, names in _core_imports(source)
        if module == "ileti.plugin"
        for name in names
        if name not in declared
    ]
    assert not undeclared, f"{where} takes names not in ileti.plugin.__all__: {undeclared}"
