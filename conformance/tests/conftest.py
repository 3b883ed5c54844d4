"""Make the FakeSMS fixture plugin (``ileti_fakesms.py``) importable by name,
here and in the pytest runs the tests start with pytester."""

from __future__ import annotations

import sys
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

# Import the suite and the fixture plugin once, here: pytester's in-process runs
# forget every module first imported during a run, and a second import would
# give classes that are not the ones the first run's objects were built from.
import ileti_fakesms  # noqa: E402

import ileti.client  # noqa: E402
import ileti.errors  # noqa: E402
import ileti.transport  # noqa: E402
import ileti_conformance.suite  # noqa: E402
from ileti.host import available_providers, load_provider  # noqa: E402

# ... and every installed provider with its emulator: a pytester run that
# imported one first would forget it, and a later test outside this folder
# would load a second copy of its classes
for _entry in available_providers():
    try:
        _loaded = load_provider(_entry.name)
    except ileti.errors.ConfigurationError:  # a fixture plugin broken on purpose
        continue
    if _loaded.has_emulator:
        _loaded.emulator()

__all__ = ["TESTS_DIR", "ileti", "ileti_conformance", "ileti_fakesms"]
