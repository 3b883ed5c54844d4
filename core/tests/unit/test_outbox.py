from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import attrs
import pytest

import ileti
from ileti.errors import InsufficientCredit, InvalidRecipient
from ileti.models import DeliveryState
from ileti.testing import Outbox


def test_outbox_records_what_would_have_been_sent() -> None:
    outbox = Outbox(credit=10)
    client = outbox.client()
    result = client.send(
        ["0532 111 22 33", "05331112233"], "Doğrulama kodunuz: 1234", sender="ILETI"
    )
    assert [r.number for r in result.recipients] == ["+905321112233", "+905331112233"]
    [sent] = outbox.sent
    assert sent.recipients == ("+905321112233", "+905331112233")
    assert sent.text == "Doğrulama kodunuz: 1234"
    assert (sent.encoding, sent.parts) == ("gsm7-tr", 1)  # cheapest, ties by profile order
    assert outbox.credit == Decimal(8)
    report = client.report(result.message_id or "")
    assert {r.state for r in report.recipients} == {DeliveryState.DELIVERED}


def test_outbox_validates_like_a_gateway() -> None:
    outbox = Outbox()
    with pytest.raises(InvalidRecipient):
        outbox.client().send("123", "x")
    assert outbox.sent == []


def test_outbox_personalised_and_failures() -> None:
    outbox = Outbox()
    client = outbox.client()
    client.send_multi([("05321112233", "Sayın Ayşe"), ("05331112233", "Sayın Can")])
    assert outbox.sent[0].texts == ("Sayın Ayşe", "Sayın Can")
    outbox.fail_next(InsufficientCredit("no credit", provider="outbox"))
    with pytest.raises(InsufficientCredit):
        client.send("05321112233", "x")
    assert len(outbox.sent) == 1
    assert [s.name for s in client.senders()] == ["ILETI"]


def test_preview_counts_recipients_given_as_numbers() -> None:
    client = Outbox().client()
    text = "x" * 200  # two parts
    assert client.preview(text, recipients=3).credits == 6
    assert (
        client.preview(text, recipients=["05321112233", "+905321112233", "05331112233"]).credits
        == 4
    )
    assert client.preview(text, recipients="05321112233").credits == 2
    for bad in (-1, True, 2.5):
        with pytest.raises(ileti.ValidationError, match="recipients="):
            client.preview(text, recipients=bad)  # type: ignore[arg-type]
    with pytest.raises(ileti.InvalidRecipient):
        client.preview(text, recipients=["05321112233", "12"])


def test_report_takes_the_send_result() -> None:
    client = Outbox().client()
    result = client.send("05321112233", "Merhaba")
    assert client.report(result).message_id == result.message_id
    with pytest.raises(ileti.ValidationError, match="no package id"):
        client.report(attrs.evolve(result, message_id=None))


def test_outbox_chosen_by_settings_with_no_code_change(tmp_path: Path) -> None:
    from ileti.testing import default_outbox

    outbox = default_outbox()
    outbox.clear()
    client = ileti.Client.from_env(env={"ILETI_PROVIDER": "outbox"}, config_file=None)
    client.send("0532 111 22 33", "kodunuz 1234")
    config = tmp_path / "config.toml"
    config.write_text('provider = "outbox"\n', "utf-8")
    ileti.Client.from_env(env={}, config_file=config).send("05321112234", "ikinci")
    assert ileti.Client("outbox").provider == "outbox"
    assert [m.text for m in outbox.sent] == ["kodunuz 1234", "ikinci"]
    assert default_outbox() is outbox
    outbox.fail_next(ileti.RateLimited("slow down"))
    outbox.clear()  # forgets the failure too
    assert outbox.sent == []
    client.balance()


def test_no_provider_named_says_how_to_name_one(tmp_path: Path) -> None:
    with pytest.raises(ileti.ConfigurationError, match="ILETI_PROVIDER"):
        ileti.Client.from_env(env={}, config_file=None)
    config = tmp_path / "config.toml"
    config.write_text("provider = 3\n", "utf-8")
    with pytest.raises(ileti.ConfigurationError, match="must be a provider id"):
        ileti.Client.from_env(env={}, config_file=config)
    with pytest.raises(ileti.ConfigurationError, match="no provider named 'nope'"):
        ileti.Client.from_env(env={"ILETI_PROVIDER": "nope"}, config_file=None)
