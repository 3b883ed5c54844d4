"""The suite ``pytest --ileti-provider NAME`` collects: every standard check,
parametrised by the providers named on the command line."""

from __future__ import annotations

import pytest

from ileti_conformance.harness import Target
from ileti_conformance.pytest_plugin import provider_names
from ileti_conformance.suite import ProviderConformance


def _expand(names: list[str]) -> list[str]:
    if "all" not in names:
        return names
    from ileti.errors import IletiError
    from ileti.host import available_providers, load_provider

    found = []
    for entry in available_providers():
        try:
            if load_provider(entry.name).has_emulator:
                found.append(entry.name)
        except IletiError:
            continue  # a provider that cannot load has no emulator to test against
    return list(dict.fromkeys([n for n in names if n != "all"] + found))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "ileti_cli_provider" in metafunc.fixturenames:
        names = _expand(provider_names(metafunc.config))
        metafunc.parametrize("ileti_cli_provider", names, ids=names, scope="class")


class TestIletiProvider(ProviderConformance):
    """The standard checks for each provider given with ``--ileti-provider``."""

    @pytest.fixture
    def ileti_target(self, ileti_cli_provider: str) -> Target:
        return Target.build(ileti_cli_provider)
