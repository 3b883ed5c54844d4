"""The client end to end over loopback HTTP against the test provider's emulator."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

import ileti
from ileti.emulation import serve
from ileti.errors import (
    AuthenticationError,
    ConfigurationError,
    IletiError,
    InsufficientCredit,
    InvalidContent,
    InvalidRecipient,
    InvalidSender,
    MessageTooLong,
    ValidationError,
)
from ileti.models import DeliveryState, SenderState


@pytest.fixture
def client(emulator: Any) -> Iterator[ileti.Client]:
    with serve(emulator) as srv:
        yield ileti.Client("testprov", base_url=srv.base_url, **emulator.credentials())


def test_send_report_balance_senders(client: ileti.Client, emulator: Any) -> None:
    result = client.send(["0532 111 22 33", "+90 532 111 22 39", "905321112233"], "Merhaba dünya")
    assert [r.number for r in result.recipients] == ["+905321112233", "+905321112239"]
    assert all(r.accepted for r in result.recipients)
    assert result.parts == 1
    assert result.client_ref
    assert [m.text for m in emulator.messages] == ["Merhaba dünya"] * 2

    report = client.report(result.message_id or "")
    assert {r.state for r in report.recipients} == {DeliveryState.QUEUED}
    emulator.clock.advance(timedelta(minutes=2))
    report = client.report(result.message_id or "")
    assert report.is_final
    assert {r.number: r.state for r in report.recipients} == {
        "+905321112233": DeliveryState.DELIVERED,
        "+905321112239": DeliveryState.UNDELIVERED,
    }
    assert client.balance().amount == Decimal(98)
    assert [(s.name, s.state) for s in client.senders()] == [
        ("ILETI", SenderState.APPROVED),
        ("YENI", SenderState.PENDING),
    ]


def test_send_multi_uses_one_encoding_for_the_batch(client: ileti.Client, emulator: Any) -> None:
    result = client.send_multi([("05321112233", "plain"), ("05321112234", "şeker")])
    assert len(result.recipients) == 2
    assert {m.wire_encoding for m in emulator.messages} == {"16bit"}
    assert [m.text for m in emulator.messages] == ["plain", "şeker"]


def test_preview_counts_by_the_provider_profile(client: ileti.Client) -> None:
    preview = client.preview("ş" * 71, recipients=3)
    assert (preview.encoding, preview.parts, preview.credits) == ("ucs2", 2, 6)
    assert client.preview("").parts == 1


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"to": "0532", "text": "x"}, InvalidRecipient),
        ({"to": "05321112233", "text": ""}, InvalidContent),
        ({"to": "05321112233", "text": "a\x00b"}, InvalidContent),
        ({"to": "05321112233", "text": "x", "sender": "İLETİ"}, InvalidSender),
        ({"to": "05321112233", "text": "x" * 460}, MessageTooLong),
        ({"to": "05321112233", "text": "x", "validity": timedelta(minutes=1)}, ValidationError),
        ({"to": "05321112233", "text": "x", "client_ref": "r" * 65}, ValidationError),
    ],
)
def test_bad_input_is_refused_before_any_request(
    client: ileti.Client, emulator: Any, kwargs: dict[str, Any], error: type[IletiError]
) -> None:
    with pytest.raises(error):
        client.send(**kwargs)
    assert emulator.received == []


def test_message_too_long_says_parts_and_limit(client: ileti.Client) -> None:
    with pytest.raises(MessageTooLong) as info:
        client.send("05321112233", "x" * 460)
    assert info.value.parts == 4
    assert info.value.max_parts == 3


def test_provider_errors_are_typed(client: ileti.Client, emulator: Any) -> None:
    emulator.force_error("auth")
    with pytest.raises(AuthenticationError) as info:
        client.balance()
    assert info.value.http_status == 401
    assert info.value.code == "auth"
    emulator.force_error("credit")
    with pytest.raises(InsufficientCredit):
        client.send("05321112233", "x")


def test_client_from_env_and_config(tmp_path: Any, emulator: Any) -> None:
    cfg = tmp_path / "ileti.toml"
    cfg.write_text('[providers.testprov]\napi_key = "from-file"\n', encoding="utf-8")
    cfg.chmod(0o600)  # it holds a key
    with serve(emulator) as srv:
        env = {"ILETI_TESTPROV_BASE_URL": srv.base_url, "ILETI_TESTPROV_API_KEY": emulator.KEY}
        client = ileti.Client.from_env("testprov", env=env, config_file=cfg)
        assert client.resolved_settings.sources["api_key"] == "environment ILETI_TESTPROV_API_KEY"
        assert client.balance().amount == Decimal(100)
        with pytest.raises(AuthenticationError):
            ileti.Client.from_env(
                "testprov", env={"ILETI_TESTPROV_BASE_URL": srv.base_url}, config_file=cfg
            ).balance()


def test_missing_setting_names_it() -> None:
    with pytest.raises(ConfigurationError) as info:
        ileti.Client("testprov")
    assert info.value.setting == "api_key"


def test_canary_secret_never_leaks(emulator: Any, caplog: pytest.LogCaptureFixture) -> None:
    canary = emulator.KEY
    with serve(emulator) as srv, caplog.at_level(logging.DEBUG):
        client = ileti.Client("testprov", base_url=srv.base_url, api_key=canary)
        result = client.send("05321112233", "hello")
        client.report(result.message_id or "")
        emulator.force_error("auth")
        with pytest.raises(AuthenticationError) as info:
            client.balance()
    texts = [r.getMessage() for r in caplog.records]
    assert any("GET" in t for t in texts), "DEBUG logging of the exchange is expected"
    texts += [repr(client), repr(client.settings), str(client.settings), repr(result), str(result)]
    texts += [str(info.value), repr(info.value)]
    assert not [t for t in texts if canary in t]


def test_default_encoding_setting(client: ileti.Client, emulator: Any) -> None:
    assert client.preview("hello").encoding == "gsm7"
    with serve(emulator) as srv:
        ucs2 = ileti.Client.from_env(
            "testprov",
            env={
                "ILETI_TESTPROV_BASE_URL": srv.base_url,
                "ILETI_TESTPROV_API_KEY": emulator.KEY,
                "ILETI_TESTPROV_DEFAULT_ENCODING": "ucs2",
            },
        )
        assert ucs2.preview("hello").encoding == "ucs2"
        assert ucs2.preview("hello", encoding="auto").encoding == "gsm7"
        ucs2.send_multi([("05321112233", "a"), ("05321112234", "b")])
        assert {m.wire_encoding for m in emulator.messages} == {"16bit"}
    with pytest.raises(ConfigurationError) as info:
        ileti.Client("testprov", api_key="k", default_encoding="turkish")
    assert info.value.setting == "default_encoding"
    assert "gsm7" in str(info.value)


def test_emulated_helper_wires_a_client_to_the_emulator() -> None:
    from ileti.testing import emulated

    with emulated("testprov") as em:
        result = em.client.send("05321112233", "Merhaba")
        assert [m.text for m in em.emulator.messages] == ["Merhaba"]
        assert em.emulator.received[-1].path == "/send"
        em.emulator.clock.advance(61)
        assert em.client.report(result.message_id or "").is_final
    with pytest.raises(ileti.NotSupported, match="no emulator"), emulated("testprov-min"):
        pass


def test_wait_report_polls_until_final(client: ileti.Client, emulator: Any) -> None:
    sent = client.send(["05321112233", "05321112239"], "hi")
    polls: list[int] = []

    def on_poll(report: ileti.DeliveryReport, n: int, pause: float | None) -> None:
        polls.append(n)
        emulator.clock.advance(25)

    fast = ileti.Backoff(first=0.01, factor=1, cap=0.01)
    report = client.wait_report(sent.message_id or "", deadline=5, backoff=fast, on_poll=on_poll)
    assert report.is_final
    assert polls == [1, 2, 3, 4]  # queued, sent, sent, final after 75 virtual seconds
    assert report.tally() == {DeliveryState.DELIVERED: 1, DeliveryState.UNDELIVERED: 1}
    stuck = client.send("05321112233", "hi")  # the virtual clock stands still now
    report = client.wait_report(stuck.message_id or "", deadline=timedelta(seconds=0.1))
    assert not report.is_final


def test_each_number_is_parsed_once_per_send(
    client: ileti.Client, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """One parse per number: a send, a batch and a campaign (the rows are
    parsed on import; the requests carry the stored E.164 numbers)."""
    import ileti.client as client_module
    import ileti.numbers as numbers

    parsed: list[str] = []
    real = numbers.normalise_number

    def counting(raw: str, **kw: Any) -> str:
        parsed.append(raw)
        return real(raw, **kw)

    monkeypatch.setattr(numbers, "normalise_number", counting)
    monkeypatch.setattr(client_module, "normalise_number", counting)
    client.send(["0532 111 22 33", "0532 111 22 34"], "Merhaba")
    assert parsed == ["0532 111 22 33", "0532 111 22 34"]
    parsed.clear()
    client.send_multi([("05321112235", "a"), ("05321112236", "b")])
    assert parsed == ["05321112235", "05321112236"]
    parsed.clear()
    rows = [{"to": f"0532111224{i}", "text": "x"} for i in range(5)]
    status = client.campaign(rows, store=tmp_path / "c.db").run()
    assert status.count("accepted") == 5
    from ileti.campaign.engine import OPTIONS_PROBE

    # the options are checked once with a probe number when the campaign is made
    assert sorted(parsed) == sorted([OPTIONS_PROBE, *(r["to"] for r in rows)])
