"""The polling schedule of :mod:`ileti.waiting`, in a module that imports
nothing, so that the command line can show it in ``--help`` without loading
the library."""

from __future__ import annotations

__all__ = ["BACKOFF", "DEFAULT_DEADLINE", "FIRST_PAUSE", "MAX_PAUSE"]

#: the first pause between two polls, in seconds
FIRST_PAUSE = 2.0
#: each pause is this many times the one before...
BACKOFF = 1.5
#: ...up to this many seconds
MAX_PAUSE = 30.0
#: how long ``wait_report`` polls unless told otherwise, in seconds
DEFAULT_DEADLINE = 300.0
