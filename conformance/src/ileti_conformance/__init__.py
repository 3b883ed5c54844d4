"""ileti-conformance: the pytest suite every ileti provider plugin must pass.

Two ways in:

* ``pytest --ileti-provider NAME`` tests the installed provider ``NAME``
  against the emulator its ``provider_emulator`` hook returns;
* a test class in the plugin's own tests::

      from ileti_conformance import ProviderConformance

      class TestEfecellConformance(ProviderConformance):
          provider = "efecell"

Importing this package is cheap: the suite (pytest, hypothesis, ileti) loads
on first use of one of its names.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "ProviderConformance": "ileti_conformance.suite",
    "STANDARD_CHECKS": "ileti_conformance.suite",
    "FAULTS": "ileti_conformance.suite",
    "HOOK_CHECKS": "ileti_conformance.suite",
    "Harness": "ileti_conformance.harness",
    "Target": "ileti_conformance.harness",
    "SetupError": "ileti_conformance.harness",
    "register_profiles": "ileti_conformance.profiles",
    "check_settings": "ileti_conformance.profiles",
}

__all__ = [
    "FAULTS",
    "HOOK_CHECKS",
    "STANDARD_CHECKS",
    "Harness",
    "ProviderConformance",
    "SetupError",
    "Target",
    "__version__",
    "check_settings",
    "register_profiles",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ileti_conformance' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover
    from ileti_conformance.harness import Harness, SetupError, Target
    from ileti_conformance.profiles import check_settings, register_profiles
    from ileti_conformance.suite import (
        FAULTS,
        HOOK_CHECKS,
        STANDARD_CHECKS,
        ProviderConformance,
    )
