"""What a provider offers: encodings with their wire values, and a part limit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from ileti.errors import NotSupported
from ileti.text._frozen import Frozen
from ileti.text.rules import GSM7, GSM7_TR, UCS2, CountingRule

__all__ = ["DEFAULT_PROFILE", "ProfileEncoding", "TextProfile"]

AUTO = "auto"


class ProfileEncoding(Frozen):
    """One encoding a provider offers.

    Attributes:
        name: the name a user asks for: ``"gsm7"``, ``"ucs2"``, ``"gsm7-tr"``, ``"turkish"``.
        wire: the provider's wire value (``"default"``, ``"utf-8"``, ``"0"``, ``"8"``, ...).
        rule: how the provider counts this encoding.
        fold_turkish: the text is folded to ASCII Turkish (see
            :func:`ileti.text.fold_turkish`) before it is counted and sent with
            this encoding (Innomobil's ``utf8=0``).
    """

    __slots__ = ("__weakref__", "fold_turkish", "name", "rule", "wire")

    name: str
    wire: str
    rule: CountingRule
    fold_turkish: bool

    def __init__(
        self, name: str, wire: str, rule: CountingRule, fold_turkish: bool = False
    ) -> None:
        init = object.__setattr__
        init(self, "name", name)
        init(self, "wire", wire)
        init(self, "rule", rule)
        init(self, "fold_turkish", fold_turkish)


#: the default of ``aliases``: none (each profile holds a copy of its own)
_NO_ALIASES: Mapping[str, str] = MappingProxyType({})


class TextProfile(Frozen):
    """What a provider offers; declared by each plugin in its ``ProviderInfo``.

    Attributes:
        encodings: the encodings offered, in order of preference for ties.
        max_parts: the most parts one message may have (``None``: unlimited or unknown).
        aliases: other names a user may ask for, mapped to an encoding's name,
            e.g. ``{"default": "gsm7", "utf-8": "ucs2"}``. Wire values are
            accepted as names too. Names are matched without regard to case.
    """

    __slots__ = ("__weakref__", "_index", "aliases", "encodings", "max_parts")
    # a read-only view; left out of the hash (equal profiles still hash equal)
    _unhashed_ = frozenset({"aliases"})

    encodings: tuple[ProfileEncoding, ...]
    max_parts: int | None
    aliases: Mapping[str, str]
    _index: Mapping[str, ProfileEncoding]

    def __init__(
        self,
        encodings: Iterable[ProfileEncoding],
        max_parts: int | None = None,
        aliases: Mapping[str, str] = _NO_ALIASES,
    ) -> None:
        init = object.__setattr__
        init(self, "encodings", tuple(encodings))
        init(self, "max_parts", max_parts)
        init(self, "aliases", MappingProxyType(dict(aliases)))
        if not self.encodings:
            raise ValueError("a text profile offers at least one encoding")
        if self.max_parts is not None and self.max_parts < 1:
            raise ValueError(f"max_parts must be at least 1, not {self.max_parts}")
        by_name: dict[str, ProfileEncoding] = {}
        for enc in self.encodings:
            key = enc.name.casefold()
            if key in by_name:
                raise ValueError(f"encoding {enc.name!r} is offered twice")
            by_name[key] = enc
        index: dict[str, ProfileEncoding] = {}
        # lowest precedence first: wire values, then aliases, then names
        for enc in self.encodings:
            index.setdefault(enc.wire.casefold(), enc)
        for alias, target in self.aliases.items():
            enc_for = by_name.get(target.casefold())
            if enc_for is None:
                raise ValueError(f"alias {alias!r} names {target!r}, which is not offered")
            index[alias.casefold()] = enc_for
        index.update(by_name)
        if AUTO in index:
            raise ValueError(f"{AUTO!r} is reserved: the engine picks the encoding")
        init(self, "_index", MappingProxyType(index))

    def get(self, name: str) -> ProfileEncoding:
        """The encoding a user asked for, by name, alias or wire value.

        Raises:
            NotSupported: the profile offers no such encoding (the message lists
                what it offers).
        """
        enc = self._index.get(name.casefold())
        if enc is None:
            raise NotSupported(
                f"encoding {name!r} is not offered; choose {AUTO!r} or one of: {self.describe()}",
                capability="encoding",
            )
        return enc

    def describe(self) -> str:
        """The offered encodings for a message: ``gsm7 (wire 'default'), ucs2 (...)``."""
        return ", ".join(
            enc.name if enc.wire == enc.name else f"{enc.name} (wire {enc.wire!r})"
            for enc in self.encodings
        )


#: the profile used when no provider is given: gsm7, gsm7-tr, ucs2; no part limit
DEFAULT_PROFILE = TextProfile(
    encodings=(
        ProfileEncoding("gsm7", "gsm7", GSM7),
        ProfileEncoding("gsm7-tr", "gsm7-tr", GSM7_TR),
        ProfileEncoding("ucs2", "ucs2", UCS2),
    )
)
