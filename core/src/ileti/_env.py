"""Names of the environment variables every part of ileti reads: here, and
nowhere else, so that the command line can know them without importing the
settings machinery (attrs, cattrs) at start-up."""

from __future__ import annotations

__all__ = ["PROVIDER_ENV"]

#: the provider used when none is given (``--provider``, ``Client.from_env()``)
PROVIDER_ENV = "ILETI_PROVIDER"
