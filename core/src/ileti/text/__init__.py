"""The SMS text engine: encodings, counting rules and parts.

One engine is used by every plugin and by the CLI preview::

    >>> from ileti.text import segment
    >>> seg = segment("Merhaba dünya")
    >>> seg.encoding, seg.parts, seg.units
    ('gsm7', 1, 13)

See ``docs/text-engine.md`` for the rules and the Turkish specifics.
"""

from __future__ import annotations

from ileti.text.engine import (
    Segmentation,
    count,
    counter,
    counter_many,
    ensure_fits,
    fold_turkish,
    is_gsm7,
    measured,
    segment,
    segmenter,
    unencodable,
)
from ileti.text.profile import DEFAULT_PROFILE, ProfileEncoding, TextProfile
from ileti.text.rules import EFECELL_TURKISH, GSM7, GSM7_TR, UCS2, CountingRule, Encoding

__all__ = [
    "DEFAULT_PROFILE",
    "EFECELL_TURKISH",
    "GSM7",
    "GSM7_TR",
    "UCS2",
    "CountingRule",
    "Encoding",
    "ProfileEncoding",
    "Segmentation",
    "TextProfile",
    "count",
    "counter",
    "counter_many",
    "ensure_fits",
    "fold_turkish",
    "is_gsm7",
    "measured",
    "segment",
    "segmenter",
    "unencodable",
]
