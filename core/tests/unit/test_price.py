"""A provider that declares a price per part gets money in its cost preview."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

from ileti.cli.send import preview_line
from ileti.plugin import ProviderInfo
from ileti.testing import Outbox
from ileti.text import GSM7, ProfileEncoding, TextProfile

PROFILE = TextProfile(encodings=(ProfileEncoding("gsm7", "0", GSM7),))


def info(**kw: object) -> ProviderInfo:
    return ProviderInfo(name="acme", title="Acme", settings_type=object, text=PROFILE, **kw)  # type: ignore[arg-type]


def test_a_price_needs_its_currency_and_a_currency_its_price() -> None:
    assert info(price_per_part=Decimal("0.15"), currency="TRY").currency == "TRY"
    with pytest.raises(ValueError, match="ISO 4217"):
        info(price_per_part=Decimal("0.15"))
    with pytest.raises(ValueError, match="ISO 4217"):
        info(price_per_part=Decimal("0.15"), currency="lira")
    with pytest.raises(ValueError, match="needs price_per_part"):
        info(currency="TRY")
    with pytest.raises(ValueError, match="Decimal >= 0"):
        info(price_per_part=Decimal("-1"), currency="TRY")


def test_the_preview_shows_money_only_where_the_provider_declares_a_price() -> None:
    client = Outbox().client()
    plain = client.preview("x" * 161, recipients=2)  # two parts, two recipients
    assert plain.price is None
    assert "= 4 credits (encoding" in preview_line(plain)
    assert plain.to_dict()["price"] is None
    priced = attrs.evolve(
        client._loaded,
        info=attrs.evolve(client.info, price_per_part=Decimal("0.15"), currency="TRY"),
    )
    client._loaded = priced
    money = client.preview("x" * 161, recipients=2)
    assert money.price == Decimal("0.60")
    assert "= 4 credits (0.60 TRY) (encoding" in preview_line(money)
    assert (money.to_dict()["price"], money.to_dict()["currency"]) == (Decimal("0.60"), "TRY")
