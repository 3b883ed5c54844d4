"""The references are checked against the code: a hookspec, an error class
or a provider left undocumented fails here."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from ileti import errors, hookspecs
from ileti.host import available_providers

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _spec_names() -> list[str]:
    marker = f"{hookspecs.PROJECT}_spec"
    return [
        name
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(fn, marker)
    ]


def test_every_hookspec_is_in_the_hook_reference() -> None:
    text = (DOCS / "reference" / "hooks.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `(\w+)` \|", text, flags=re.M))
    names = _spec_names()
    assert {"send", "send_multi", "query_report", "balance", "senders"} <= set(names)
    assert not set(names) - rows, f"undocumented hooks: {sorted(set(names) - rows)}"
    assert not rows - set(names), f"documented hooks that do not exist: {sorted(rows - set(names))}"


def test_every_error_class_is_in_the_error_reference() -> None:
    text = (DOCS / "reference" / "errors.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \| `(\w+)` \|", text, flags=re.M))
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert name in rows, f"{name} is not in docs/reference/errors.md"
        assert rows[name] == cls.__mro__[1].__name__, f"{name}'s parent is wrong in the docs"
    assert set(rows) <= set(errors.__all__)


def test_every_installed_provider_has_a_page() -> None:
    nav = (DOCS / "mkdocs.yml").read_text(encoding="utf-8")
    for entry in available_providers():
        if entry.name.startswith("testprov"):
            continue
        assert (DOCS / "providers" / f"{entry.name}.md").exists(), entry.name
        assert f"providers/{entry.name}.md" in nav, entry.name


def test_every_name_a_plugin_imports_is_in_the_generated_reference() -> None:
    """docs/reference/plugin-api.md renders each name from the code; a name
    added to ``ileti.plugin`` or the emulation kit must be added to it."""
    import ileti.emulation
    import ileti.plugin

    text = (DOCS / "reference" / "plugin-api.md").read_text(encoding="utf-8")
    rendered = {
        line.split()[1].rsplit(".", 1)[1] for line in text.splitlines() if line.startswith(":::")
    }
    # documented in reference/hooks.md: the hook marker and the hook names
    elsewhere = {"hookimpl", "CAPABILITIES"}
    missing = set(ileti.plugin.__all__) - rendered - elsewhere
    assert not missing, f"not in docs/reference/plugin-api.md: {sorted(missing)}"
    missing_kit = set(ileti.emulation.__all__) - rendered
    assert not missing_kit, f"not in docs/reference/plugin-api.md: {sorted(missing_kit)}"
    hooks = (DOCS / "reference" / "hooks.md").read_text(encoding="utf-8")
    assert "hookimpl" in hooks
