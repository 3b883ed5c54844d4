"""Names of the environment variables every part of ileti reads, and the
mask a secret is shown as: here, and nowhere else, so that the command line
and the log redaction can know them without importing the settings
machinery (attrs, cattrs) at start-up."""

from __future__ import annotations

__all__ = ["MASK", "PROVIDER_ENV"]

#: what a secret is shown as, everywhere (settings, logs, dry runs)
MASK = "****"

#: the provider used when none is given (``--provider``, ``Client.from_env()``)
PROVIDER_ENV = "ILETI_PROVIDER"
