"""ileti.Client against the emulator over real HTTP on loopback."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ileti_efecell.emulator import EfecellEmulator

import ileti
from ileti.emulation import Fault, FaultProxy, ServedApp, VirtualClock, serve
from ileti.errors import (
    ConfigurationError,
    DeliveryUnknown,
    IletiError,
    InvalidContent,
    InvalidRecipient,
    InvalidSender,
    MalformedResponse,
    MessageTooLong,
    NotSupported,
    ProviderUnavailable,
)
from ileti.models import DeliveryState, SenderState

A = "+905321112233"
B = "+905321112239"  # ends in 9: undelivered


def test_send_report_balance_senders(
    client: ileti.Client, emulator: EfecellEmulator, clock: VirtualClock
) -> None:
    before = client.balance().amount
    assert before == Decimal(1000)
    result = client.send(["0532 111 22 33", "+90 532 111 22 39"], "a" * 200, sender="ILETI")
    assert result.provider == "efecell"
    assert result.parts == 2
    assert result.credits == Decimal(4)
    assert [(r.number, r.accepted) for r in result.recipients] == [(A, True), (B, True)]
    assert client.balance().amount == before - 4
    assert [(m.recipient, m.parts, m.wire_encoding) for m in emulator.messages] == [
        (A, 2, "default"),
        (B, 2, "default"),
    ]
    assert result.message_id is not None

    report = client.report(result.message_id)
    assert [r.number for r in report.recipients] == [A, B]
    assert {r.state for r in report.recipients} == {DeliveryState.QUEUED}
    assert report.package_state is DeliveryState.QUEUED
    assert not report.is_final

    clock.advance(10)
    report = client.report(result.message_id)
    assert {r.state for r in report.recipients} == {DeliveryState.SENT}
    assert report.raw_package_state == "1"

    clock.advance(50)
    report = client.report(result.message_id)
    assert [(r.state, r.raw_state) for r in report.recipients] == [
        (DeliveryState.DELIVERED, "1"),
        (DeliveryState.UNDELIVERED, "2"),
    ]
    assert report.is_final
    assert report.raw_package_state == "3"
    when = report.recipients[0].time
    assert when is not None
    assert when.astimezone(UTC) == clock.now().replace(microsecond=0)

    names = {s.name: s.state for s in client.senders()}
    assert names[emulator.default_sender] is SenderState.APPROVED
    assert names["ILETIBEKLE"] is SenderState.PENDING
    assert names["ILETIPASIF"] is SenderState.INACTIVE


def test_send_multi(client: ileti.Client, emulator: EfecellEmulator, clock: VirtualClock) -> None:
    result = client.send_multi(
        [("05321112233", "Merhaba Ayşe"), ("05321112239", "Merhaba " + "x" * 290)],
        sender="ILETI",
    )
    assert [r.number for r in result.recipients] == [A, B]
    # one encoding for the batch: ucs2 would need 5 parts for the second text, turkish 2
    assert [(m.text, m.wire_encoding, m.parts) for m in emulator.messages] == [
        ("Merhaba Ayşe", "turkish", 1),
        ("Merhaba " + "x" * 290, "turkish", 2),
    ]
    assert result.parts == 2
    assert result.credits == Decimal(3)
    assert result.message_id is not None
    clock.advance(60)
    states = [r.state for r in client.report(result.message_id).recipients]
    assert states == [DeliveryState.DELIVERED, DeliveryState.UNDELIVERED]


def test_explicit_encodings_and_aliases(client: ileti.Client, emulator: EfecellEmulator) -> None:
    for encoding, wire_value in [
        ("gsm7", "default"),
        ("default", "default"),
        ("ucs2", "utf-8"),
        ("utf-8", "utf-8"),
        ("turkish", "turkish"),
        ("tr", "turkish"),
    ]:
        result = client.send(A, "Merhaba", sender="ILETI", encoding=encoding)
        assert emulator.messages[-1].wire_encoding == wire_value
        assert result.parts == emulator.messages[-1].parts


def test_the_sender_setting(served: ServedApp, emulator: EfecellEmulator) -> None:
    with ileti.Client(
        "efecell", base_url=served.base_url, sender="ILETI", **emulator.credentials()
    ) as client:
        client.send(A, "hi")
    assert emulator.messages[-1].sender == "ILETI"


def test_settings_from_the_environment(served: ServedApp, emulator: EfecellEmulator) -> None:
    env = {
        "ILETI_EFECELL_API_KEY": emulator.credentials()["api_key"],
        "ILETI_EFECELL_BASE_URL": served.base_url,
        "ILETI_EFECELL_SENDER": "ILETI",
    }
    with ileti.Client.from_env("efecell", env=env, config_file=None) as client:
        assert client.settings.base_url == served.base_url
        client.send(A, "hi")
    assert len(emulator.messages) == 1


def test_settings_defaults_and_checks() -> None:
    client = ileti.Client("efecell", api_key="k")
    assert client.settings.base_url == "https://api.efetech.net.tr"
    assert client.settings.sender is None
    with pytest.raises(ConfigurationError, match="api_key"):
        ileti.Client("efecell")
    with pytest.raises(ConfigurationError, match="sender"):
        ileti.Client("efecell", api_key="k", sender="İLETİ")
    with pytest.raises(ConfigurationError, match="base_url"):
        ileti.Client("efecell", api_key="k", base_url="ftp://x")


# -- errors ------------------------------------------------------------------------------

SEND_ERRORS = sorted(EfecellEmulator.documented_errors.items())


@pytest.mark.parametrize(("code", "name"), SEND_ERRORS)
def test_forced_errors_on_send(
    client: ileti.Client, emulator: EfecellEmulator, code: str, name: str
) -> None:
    emulator.force_error(code)
    with pytest.raises(IletiError) as caught:
        client.send(A, "hi", sender="ILETI")
    assert type(caught.value).__name__ == name
    if name != "DeliveryUnknown":
        assert caught.value.code == code
    assert caught.value.http_status == int(code)
    assert emulator.messages == []


READ_ERRORS = [
    (code, "ProviderUnavailable" if code == "500" else name) for code, name in SEND_ERRORS
]


def report_one(client: ileti.Client) -> Callable[[], object]:
    return lambda: client.report("13544")


@pytest.mark.parametrize(("code", "name"), READ_ERRORS)
@pytest.mark.parametrize("call", ["balance", "senders", "report"])
def test_forced_errors_on_reads(
    client: ileti.Client, emulator: EfecellEmulator, code: str, name: str, call: str
) -> None:
    emulator.force_error(code)
    calls = {"balance": client.balance, "senders": client.senders, "report": report_one(client)}
    with pytest.raises(IletiError) as caught:
        calls[call]()
    assert type(caught.value).__name__ == name
    assert caught.value.code == code


def test_wrong_key(served: ServedApp) -> None:
    with (
        ileti.Client("efecell", base_url=served.base_url, api_key="nope") as client,
        pytest.raises(ileti.AuthenticationError, match="api_key"),
    ):
        client.balance()


def test_unapproved_and_missing_senders(client: ileti.Client, emulator: EfecellEmulator) -> None:
    for sender in ["ILETIBEKLE", "ILETIPASIF", "NOBODY"]:
        with pytest.raises(InvalidSender, match="approved"):
            client.send(A, "hi", sender=sender)
    sent = len(emulator.received)
    with pytest.raises(InvalidSender, match="sender"):
        client.send(A, "hi")
    assert len(emulator.received) == sent
    assert emulator.messages == []


def test_insufficient_credit(client: ileti.Client, emulator: EfecellEmulator) -> None:
    emulator.credit = Decimal(1)
    with pytest.raises(ileti.InsufficientCredit):
        client.send([A, B], "hi", sender="ILETI")
    assert client.balance().amount == Decimal(1)


def test_inactive_account(client: ileti.Client, emulator: EfecellEmulator) -> None:
    emulator.account.active = False
    with pytest.raises(ileti.AccountInactive):
        client.send(A, "hi", sender="ILETI")


def test_blocked_number(client: ileti.Client, emulator: EfecellEmulator) -> None:
    emulator.blocked_numbers.add("5321112233")
    with pytest.raises(InvalidRecipient):
        client.send(A, "hi", sender="ILETI")


def test_landlines_are_refused_by_the_gateway(
    client: ileti.Client, emulator: EfecellEmulator
) -> None:
    with pytest.raises(InvalidRecipient):
        client.send("0212 555 12 12", "hi", sender="ILETI")
    assert len(emulator.received) == 1


def test_unknown_report_id_is_an_unknown_message(client: ileti.Client) -> None:
    with pytest.raises(ileti.UnknownMessage, match="no message with this id"):
        client.report("999")


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("a" * 613, "auto"),
        ("a" * 613, "gsm7"),
        ("ş" * 305, "turkish"),
        ("ş" * 269, "ucs2"),
        ("😀" * 135, "auto"),
    ],
)
def test_too_long_is_refused_without_a_request(
    client: ileti.Client, emulator: EfecellEmulator, text: str, encoding: str
) -> None:
    with pytest.raises(MessageTooLong):
        client.send(A, text, sender="ILETI", encoding=encoding)
    assert emulator.received == []


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"schedule": datetime.now(UTC) + timedelta(hours=1)}, NotSupported),
        ({"validity": timedelta(hours=1)}, NotSupported),
        ({"flash": True}, NotSupported),
        ({"client_ref": "mine"}, NotSupported),
        ({"encoding": "gsm7-tr"}, NotSupported),
        ({"encoding": "auto", "to": "+4915112345678"}, InvalidRecipient),
        ({"encoding": "gsm7", "text": "ç"}, InvalidContent),
        ({"encoding": "turkish", "text": "😀"}, InvalidContent),
    ],
)
def test_refused_before_a_request(
    client: ileti.Client,
    emulator: EfecellEmulator,
    kwargs: dict[str, object],
    error: type[IletiError],
) -> None:
    options = {"to": A, "text": "hi", "sender": "ILETI", **kwargs}
    with pytest.raises(error):
        client.send(**options)  # type: ignore[arg-type]
    assert emulator.received == []


def test_schedule_is_refused_on_batches_too(
    client: ileti.Client, emulator: EfecellEmulator
) -> None:
    with pytest.raises(NotSupported):
        client.send_multi(
            [(A, "hi")], sender="ILETI", schedule=datetime.now(UTC) + timedelta(hours=1)
        )
    assert emulator.received == []


def test_every_capability_is_offered(client: ileti.Client) -> None:
    assert client.capabilities == {"send", "send_multi", "query_report", "balance", "senders"}


def test_emulator_hook_gives_a_fresh_emulator() -> None:
    from ileti_efecell import plugin

    clock = VirtualClock()
    first = plugin.provider_emulator(clock)
    second = plugin.provider_emulator(clock)
    assert isinstance(first, EfecellEmulator)
    assert first is not second
    assert first.clock is clock


def test_package_wide_failure_reaches_every_recipient(
    client: ileti.Client, emulator: EfecellEmulator, clock: VirtualClock
) -> None:
    result = client.send([A, B], "hi", sender="ILETI")
    assert result.message_id is not None
    emulator.set_package_status(result.message_id, 94)
    clock.advance(120)
    report = client.report(result.message_id)
    assert report.package_state is DeliveryState.REJECTED
    assert [r.state for r in report.recipients] == [DeliveryState.REJECTED] * 2
    assert report.is_final


# -- misbehaving gateway -----------------------------------------------------------------


@pytest.fixture
def proxy(served: ServedApp) -> Iterator[FaultProxy]:
    with FaultProxy(served.base_url, hang_seconds=2) as p:
        yield p


@pytest.fixture
def proxied(proxy: FaultProxy, emulator: EfecellEmulator) -> Iterator[ileti.Client]:
    with ileti.Client(
        "efecell",
        base_url=proxy.base_url,
        retry=ileti.RetryPolicy(attempts=1),
        timeout=(1.0, 1.0),
        **emulator.credentials(),
    ) as c:
        yield c


@pytest.mark.parametrize(
    "fault", [Fault.HTTP_500, Fault.HTML, Fault.GARBAGE, Fault.TRUNCATED, Fault.RESET, Fault.HANG]
)
def test_an_unclear_send_is_delivery_unknown(
    proxy: FaultProxy, proxied: ileti.Client, fault: Fault
) -> None:
    proxy.set_faults(fault)
    with pytest.raises(DeliveryUnknown):
        proxied.send(A, "hi", sender="ILETI")
    assert proxy.request_count == 1  # never replayed


@pytest.mark.parametrize("fault", [Fault.GARBAGE, Fault.TRUNCATED, Fault.HTML, Fault.HTTP_500])
def test_an_unclear_read_is_an_ileti_error(
    proxy: FaultProxy, proxied: ileti.Client, fault: Fault
) -> None:
    proxy.set_faults(fault)
    with pytest.raises(IletiError) as caught:
        proxied.balance()
    assert isinstance(caught.value, MalformedResponse | ileti.TransportError | ProviderUnavailable)


# -- parts: prediction equals billing ----------------------------------------------------

CHARS = (
    list("@£$¥èéùìòÇ\nØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0189:;<=>?¡AZÄÖÑÜ§¿az äöñüà")
    + list("^{}\\[]~|€")
    + list("çğıİöşüÇĞÖŞÜ")
    + ["😀", "🇹🇷", "👍🏽", "₺", "’"]
)
# single characters, and runs that reach the four-part limits quickly
TOKENS = st.one_of(st.sampled_from(CHARS), st.sampled_from(CHARS).map(lambda c: c * 40))
TEXTS = (
    st.lists(TOKENS, min_size=1, max_size=80)
    .map("".join)
    .filter(lambda t: unicodedata.is_normalized("NFC", t))
)


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[EfecellEmulator, ileti.Client]]:
    emulator = EfecellEmulator(clock=VirtualClock(), credit=10**9)
    with (
        serve(emulator) as app,
        ileti.Client("efecell", base_url=app.base_url, **emulator.credentials()) as client,
    ):
        yield emulator, client


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXTS, encoding=st.sampled_from(["auto", "gsm7", "ucs2", "turkish"]))
def test_predicted_parts_equal_billed_parts(
    shared: tuple[EfecellEmulator, ileti.Client], text: str, encoding: str
) -> None:
    emulator, client = shared
    try:
        preview = client.preview(text, encoding=encoding)
    except IletiError:
        return  # the encoding cannot carry the text: checked elsewhere
    received = len(emulator.received)
    if preview.parts > 4:
        with pytest.raises(MessageTooLong):
            client.send(A, text, sender="ILETI", encoding=encoding)
        assert len(emulator.received) == received
        return
    result = client.send(A, text, sender="ILETI", encoding=encoding)
    billed = emulator.messages[-1]
    assert billed.text == text
    assert billed.parts == preview.parts == result.parts
    assert billed.wire_encoding == preview.segmentation.wire
    assert result.credits == preview.credits


def test_default_encoding_setting_picks_the_wire_value() -> None:
    emulator = EfecellEmulator(clock=VirtualClock())
    with serve(emulator) as srv:
        client = ileti.Client(
            "efecell",
            base_url=srv.base_url,
            default_encoding="turkish",
            sender=emulator.default_sender,
            **emulator.credentials(),
        )
        client.send("05321112233", "Merhaba")
        assert emulator.messages[-1].wire_encoding == "turkish"
        client.send("05321112233", "Merhaba", encoding="auto")
        assert emulator.messages[-1].wire_encoding == "default"
