"""The emulator on its own: the reference's checklist, quirks and bad input."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ileti_modexi import plugin, wire
from ileti_modexi.emulator import (
    CURRENCY,
    DEFAULT_CREDIT,
    ERROR_CATEGORIES,
    INVENTED_STATES,
    PRICE_PER_PART,
    ModexiEmulator,
    gateway_count,
)
from ileti_modexi.settings import parse_error_codes, parse_state_codes

from ileti.emulation import EmulatorRequest, EmulatorResponse, VirtualClock
from ileti.models import DeliveryState

AUTH = "Basic " + base64.b64encode(b"ileti:modexi-test-1234").decode()


def call(
    emulator: ModexiEmulator,
    method: str,
    path: str,
    body: object = None,
    *,
    auth: str | None = AUTH,
    raw: bytes | None = None,
    content_type: str | None = "application/json",
) -> tuple[int, dict[str, Any]]:
    headers = {} if content_type is None else {"content-type": content_type}
    if auth is not None:
        headers["authorization"] = auth
    data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    response: EmulatorResponse = emulator.handle(
        EmulatorRequest(method=method, path=path, headers=headers, body=data)
    )
    parsed: dict[str, Any] = json.loads(response.body)
    return response.status, parsed


def send_body(**over: object) -> dict[str, object]:
    body: dict[str, object] = {
        "from": "ILETI",
        "text": "Merhaba",
        "validityPeriod": 1440,
        "scheduledDate": "",
        "destinations": [{"to": "905321112233"}],
    }
    body.update(over)
    return body


def send(emulator: ModexiEmulator, **over: object) -> tuple[int, dict[str, Any]]:
    return call(emulator, "POST", "/sms/1/advanced", send_body(**over))


@pytest.fixture
def emu() -> ModexiEmulator:
    return ModexiEmulator(clock=VirtualClock(datetime(2024, 5, 1, 9, 0, tzinfo=UTC)))


def test_the_hook_returns_a_new_emulator_on_the_given_clock() -> None:
    clock = VirtualClock()
    first = plugin.provider_emulator(clock=clock)
    second = plugin.provider_emulator(clock=clock)
    assert isinstance(first, ModexiEmulator)
    assert first is not second
    assert first.clock is clock
    creds = first.credentials()
    assert (creds["username"], creds["password"]) == ("ileti", "modexi-test-1234")
    # the emulator's invented codes travel as settings: the plugin invents nothing
    assert parse_state_codes(creds["state_codes"]) == INVENTED_STATES
    assert parse_error_codes(creds["error_codes"]) == ERROR_CATEGORIES


def test_a_send_answers_the_documented_envelope(emu: ModexiEmulator) -> None:
    status, body = send(emu)
    assert status == 200
    assert body["errorCode"] == 200
    assert body["result"]["messages"] == []
    code = body["result"]["messageCode"]
    assert isinstance(code, str)
    _, again = send(emu)
    assert again["result"]["messageCode"] != code


@pytest.mark.parametrize(
    ("given_minutes", "kept"),
    [(1440, 1440), (10, 10), (2880, 2880), (9, 2880), (0, 2880), (-5, 2880), (2881, 2880)],
)
def test_validity_outside_10_to_2880_minutes_is_silently_48_hours(
    emu: ModexiEmulator, given_minutes: int, kept: int
) -> None:
    status, body = send(emu, validityPeriod=given_minutes)
    assert status == 200
    assert emu.packages[body["result"]["messageCode"]].validity_minutes == kept


def test_validity_may_be_left_out(emu: ModexiEmulator) -> None:
    body = send_body()
    del body["validityPeriod"]
    status, answer = call(emu, "POST", "/sms/1/advanced", body)
    assert status == 200
    assert emu.packages[answer["result"]["messageCode"]].validity_minutes == 2880


def test_scheduled_date_is_read_as_utc(emu: ModexiEmulator) -> None:
    status, body = send(emu, scheduledDate="2024-05-01T12:00:00")
    assert status == 200
    package = emu.packages[body["result"]["messageCode"]]
    assert package.scheduled_for == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    ["2024-05-01T12:00:00Z", "2024-05-01T12:00:00+03:00", "DateTime", "2024-05-01 12:00:00", 5],
)
def test_other_scheduled_date_forms_are_refused(emu: ModexiEmulator, value: object) -> None:
    status, body = send(emu, scheduledDate=value)
    assert (status, body["errorCode"]) == (400, 400)
    assert emu.messages == []


def test_a_past_scheduled_date_sends_now(emu: ModexiEmulator) -> None:
    _, body = send(emu, scheduledDate="2020-01-01T00:00:00")
    code = body["result"]["messageCode"]
    _, report = call(emu, "POST", "/sms/1/reports", {"messageCode": code})
    assert report["result"][0]["status"]["code"] == 100


def test_report_rows_look_like_the_sample(emu: ModexiEmulator) -> None:
    _, body = send(emu, destinations=[{"to": "905321112233"}, {"to": "905321112239"}])
    code = body["result"]["messageCode"]
    _, report = call(emu, "POST", "/sms/1/reports", {"messageCode": code, "limit": 100})
    assert report["errorCode"] == 200
    first, second = report["result"]
    assert first["to"] == "5321112233"  # ten digits, as in the sample
    assert second["messageId"] == first["messageId"] + 1
    assert first["from"] == "ILETI"
    assert first["text"] == "Merhaba"
    assert first["smsCount"] == 1
    assert first["sentAt"] == first["doneAt"] == ""
    assert first["status"] == {"code": 100, "name": "Kuyrukta"}

    emu.clock.advance(10)
    _, report = call(emu, "POST", "/sms/1/reports", {"messageCode": code})
    row = report["result"][0]
    assert row["status"] == {"code": 300, "name": ""}
    # local time (UTC+3) with a space, like the sample
    assert row["sentAt"] == "2024-05-01 09:00:10"  # UTC, like scheduledDate
    assert row["doneAt"] == ""

    emu.clock.advance(50)
    _, report = call(emu, "POST", "/sms/1/reports", {"messageCode": int(code)})
    delivered, undelivered = report["result"]
    assert delivered["status"]["code"] == 10
    assert undelivered["status"]["code"] == 20
    assert delivered["doneAt"] == "2024-05-01 09:01:00"


def test_reports_can_be_fetched_again(emu: ModexiEmulator) -> None:
    _, body = send(emu)
    code = body["result"]["messageCode"]
    first = call(emu, "POST", "/sms/1/reports", {"messageCode": code})
    assert call(emu, "POST", "/sms/1/reports", {"messageCode": code}) == first


def test_report_limit(emu: ModexiEmulator) -> None:
    numbers = [{"to": f"90532111{i:04d}"} for i in range(5)]
    _, body = send(emu, destinations=numbers)
    code = body["result"]["messageCode"]
    _, report = call(emu, "POST", "/sms/1/reports", {"messageCode": code, "limit": 3})
    assert len(report["result"]) == 3
    for bad in (0, -1, "3", True):
        status, answer = call(emu, "POST", "/sms/1/reports", {"messageCode": code, "limit": bad})
        assert (status, answer["errorCode"]) == (400, 400)


def test_report_of_an_unknown_code(emu: ModexiEmulator) -> None:
    status, body = call(emu, "POST", "/sms/1/reports", {"messageCode": "1"})
    assert (status, body["errorCode"]) == (410, 410)  # invented: "Mesaj bulunamadı"
    status, body = call(emu, "POST", "/sms/1/reports", {"limit": 5})
    assert (status, body["errorCode"]) == (400, 400)


@settings(max_examples=50)
@given(
    steps=st.lists(st.integers(min_value=0, max_value=40), max_size=8),
    delay=st.integers(min_value=-30, max_value=90),
    last_digit=st.integers(min_value=0, max_value=9),
)
def test_states_only_move_forward(steps: list[int], delay: int, last_digit: int) -> None:
    emu = ModexiEmulator(clock=VirtualClock(datetime(2024, 5, 1, 9, 0, tzinfo=UTC)))
    when = datetime(2024, 5, 1, 9, 0, tzinfo=UTC) + timedelta(seconds=delay)
    _, body = send(
        emu,
        scheduledDate=when.strftime(wire.SCHEDULE_FORMAT),
        destinations=[{"to": f"90532111223{last_digit}"}],
    )
    code = body["result"]["messageCode"]
    ranks = []
    for step in [0, *steps, 200]:
        emu.clock.advance(step)
        _, report = call(emu, "POST", "/sms/1/reports", {"messageCode": code})
        state = wire.state_for(report["result"][0]["status"]["code"], INVENTED_STATES)
        assert state is not DeliveryState.UNKNOWN
        ranks.append(state.rank)
    assert ranks == sorted(ranks)
    final = wire.state_for(report["result"][0]["status"]["code"], INVENTED_STATES)
    assert final is (DeliveryState.UNDELIVERED if last_digit == 9 else DeliveryState.DELIVERED)


@pytest.mark.parametrize(
    "auth",
    [
        None,
        "Bearer abc",
        "Basic !!!",
        "Basic " + base64.b64encode(b"ileti:wrong").decode(),
        "Basic " + base64.b64encode(b"other:modexi-test-1234").decode(),
        "Basic " + base64.b64encode(b"ileti").decode(),
    ],
)
def test_bad_credentials_answer_401(emu: ModexiEmulator, auth: str | None) -> None:
    for method, path in [("GET", "/account/balance"), ("POST", "/sms/1/advanced")]:
        status, body = call(emu, method, path, send_body(), auth=auth)
        assert (status, body["errorCode"]) == (401, 401)
        assert body["errorDescription"]
    assert emu.messages == []


def test_an_inactive_account_answers_407(emu: ModexiEmulator) -> None:
    emu.account.active = False
    status, body = send(emu)
    assert (status, body["errorCode"]) == (407, 407)


@pytest.mark.parametrize(
    "raw", [b"{not json", b"[1, 2]", b"", '{"text": "\xe7"}'.encode("latin-1")]
)
def test_bodies_that_are_not_a_json_object_answer_400(emu: ModexiEmulator, raw: bytes) -> None:
    status, body = call(emu, "POST", "/sms/1/advanced", raw=raw)
    assert (status, body["errorCode"]) == (400, 400)
    assert body["result"] is None


def test_unknown_paths_and_methods_answer_in_the_envelope(emu: ModexiEmulator) -> None:
    status, body = call(emu, "GET", "/sms/2/anything")
    assert (status, body["errorCode"]) == (404, 404)
    response = emu.handle(EmulatorRequest(method="DELETE", path="/account/balance"))
    assert response.status == 405
    assert json.loads(response.body)["errorCode"] == 405
    assert response.header("Allow") == "GET"


@pytest.mark.parametrize(
    "destinations",
    [
        [{"to": "05321112233"}],
        [{"to": "5321112233"}],
        [{"to": "+905321112233"}],
        [{"to": 905321112233}],
        [{"to": "90532111223x"}],
        [{"to": "905321112233"}, {"to": "123"}],
    ],
)
def test_non_conforming_numbers_answer_406(emu: ModexiEmulator, destinations: object) -> None:
    status, body = send(emu, destinations=destinations)
    assert (status, body["errorCode"]) == (406, 406)
    assert emu.messages == []
    assert emu.credit == DEFAULT_CREDIT


@pytest.mark.parametrize("destinations", [[], None, "905321112233"])
def test_missing_destinations_answer_400(emu: ModexiEmulator, destinations: object) -> None:
    status, body = send(emu, destinations=destinations)
    assert (status, body["errorCode"]) == (400, 400)


def test_too_many_destinations_answer_400(emu: ModexiEmulator) -> None:
    numbers = [{"to": f"9053211{i:05d}"} for i in range(wire.MAX_RECIPIENTS + 1)]
    status, body = send(emu, destinations=numbers)
    assert (status, body["errorCode"]) == (400, 400)


@pytest.mark.parametrize("text", ["", None, 5])
def test_missing_text_answers_400(emu: ModexiEmulator, text: object) -> None:
    status, body = send(emu, text=text)
    assert (status, body["errorCode"]) == (400, 400)


@pytest.mark.parametrize("sender", ["BEKLEYEN", "ESKIBASLIK", "YOK", "", None, "AB", "ILETI!"])
def test_senders_not_approved_answer_422(emu: ModexiEmulator, sender: object) -> None:
    status, body = send(emu, **{"from": sender})
    assert (status, body["errorCode"]) == (422, 422)


def test_a_numeric_sender_can_be_approved(emu: ModexiEmulator) -> None:
    emu.account.senders.approve("08501234567")
    status, _ = send(emu, **{"from": "08501234567"})
    assert status == 200


def test_too_long_text_answers_413(emu: ModexiEmulator) -> None:
    status, _ = send(emu, text="x" * (153 * wire.MAX_PARTS))
    assert status == 200
    status, body = send(emu, text="x" * (153 * wire.MAX_PARTS + 1))
    assert (status, body["errorCode"]) == (413, 413)
    status, body = send(emu, text="ğ" * (67 * wire.MAX_PARTS + 1))
    assert (status, body["errorCode"]) == (413, 413)


def balance_of(emu: ModexiEmulator) -> tuple[Decimal, str, Decimal]:
    """(balance, currency, smsDetail.total) as the gateway answers them."""
    status, body = call(emu, "GET", "/account/balance")
    assert status == 200
    result = body["result"]
    money, total = result["balance"], result["smsDetail"]["total"]
    assert isinstance(total, int)  # a whole number of SMS, like the sample's
    return Decimal(str(money)), result["currency"], Decimal(total)


def test_a_new_account_is_a_money_account(emu: ModexiEmulator) -> None:
    assert emu.price_per_part == PRICE_PER_PART == Decimal("0.25")
    assert emu.sms_package is None
    assert emu.credit == DEFAULT_CREDIT
    assert balance_of(emu) == (DEFAULT_CREDIT, CURRENCY, Decimal(1000))


def test_credit_is_billed_per_part_and_destination(emu: ModexiEmulator) -> None:
    emu.credit = 7 * emu.price_per_part
    assert balance_of(emu) == (Decimal("1.75"), "TRY", Decimal(7))
    numbers = [{"to": "905321112233"}, {"to": "905321112234"}, {"to": "905321112235"}]
    status, _ = send(emu, text="x" * 200, destinations=numbers)  # 2 parts x 3
    assert status == 200
    assert emu.credit == emu.price_per_part
    assert balance_of(emu) == (Decimal("0.25"), "TRY", Decimal(1))
    status, body = send(emu, text="x", destinations=numbers[:2])
    assert (status, body["errorCode"]) == (402, 402)
    assert emu.credit == emu.price_per_part  # a refused send costs nothing
    status, _ = send(emu, text="x")
    assert status == 200
    _, balance = call(emu, "GET", "/account/balance")
    assert balance["result"] == {"balance": 0, "currency": "TRY", "smsDetail": {"total": 0}}


def test_sms_credits_count_whole_parts_the_money_buys(emu: ModexiEmulator) -> None:
    emu.credit = Decimal("1.30")  # five parts and 0.05 TRY
    assert balance_of(emu)[2] == Decimal(5)
    status, _ = send(emu, text="x" * 200, destinations=[{"to": "905321112233"}] * 2)
    assert status == 200
    assert balance_of(emu) == (Decimal("0.30"), "TRY", Decimal(1))
    emu.credit = Decimal(-1)  # never shown as negative SMS
    assert balance_of(emu)[2] == Decimal(0)


@settings(max_examples=50)
@given(
    sends=st.lists(
        st.tuples(st.integers(min_value=1, max_value=4), st.integers(min_value=1, max_value=3)),
        max_size=6,
    ),
    credit=st.decimals(min_value=0, max_value=20, places=2),
)
def test_both_figures_fall_by_what_is_billed(sends: list[tuple[int, int]], credit: Decimal) -> None:
    emu = ModexiEmulator(credit=credit)
    for parts, count in sends:
        before = balance_of(emu)
        text = "x" * (153 * parts if parts > 1 else 1)
        assert gateway_count(text)[1] == parts
        numbers = [{"to": f"90532111223{i}"} for i in range(count)]
        status, _ = send(emu, text=text, destinations=numbers)
        after = balance_of(emu)
        units = parts * count
        if status == 200:
            assert before[0] - after[0] == units * PRICE_PER_PART
            assert before[2] - after[2] == units
        else:
            assert status == 402
            assert units > before[2]
            assert before == after


def test_a_price_per_part_other_than_the_default() -> None:
    class Dear(ModexiEmulator):
        price_per_part: ClassVar[Decimal] = Decimal("2.5")

    emu = Dear()
    status, _ = send(emu, text="x" * 200)
    assert status == 200
    assert emu.credit == DEFAULT_CREDIT - Decimal(5)
    assert balance_of(emu) == (Decimal(245), "TRY", Decimal(98))


def test_a_package_account_bills_its_sms_not_its_money() -> None:
    emu = ModexiEmulator(package_credits=7)
    assert emu.credit == Decimal(0)
    assert balance_of(emu) == (Decimal(0), "TRY", Decimal(7))
    numbers = [{"to": "905321112233"}, {"to": "905321112234"}, {"to": "905321112235"}]
    status, _ = send(emu, text="x" * 200, destinations=numbers)  # 2 parts x 3
    assert status == 200
    assert balance_of(emu) == (Decimal(0), "TRY", Decimal(1))
    status, body = send(emu, text="x", destinations=numbers[:2])
    assert (status, body["errorCode"]) == (402, 402)
    assert emu.sms_package is not None
    assert emu.sms_package.balance == Decimal(1)


def test_a_package_account_may_also_show_money() -> None:
    emu = ModexiEmulator(package_credits=3, credit=Decimal("12.5"))
    status, _ = send(emu, text="x")
    assert status == 200
    assert balance_of(emu) == (Decimal("12.5"), "TRY", Decimal(2))


def test_senders_lists_only_approved_names(emu: ModexiEmulator) -> None:
    status, body = call(emu, "GET", "/sms/1/senders")
    assert status == 200
    assert body["result"] == [{"value": "ILETI"}, {"value": "MODEXI VERI"}]


def test_the_panel_token(emu: ModexiEmulator) -> None:
    status, body = call(emu, "GET", "/account/token")
    assert status == 200
    assert len(body["result"]["privateKey"]) == 32


@pytest.mark.parametrize("code", sorted(ModexiEmulator.documented_errors))
def test_each_documented_error_has_its_answer(emu: ModexiEmulator, code: str) -> None:
    emu.force_error(code, path="/account/balance")
    send(emu)  # another path does not consume it
    status, body = call(emu, "GET", "/account/balance")
    assert status == int(code)
    assert body["errorCode"] == int(code)
    assert body["errorDescription"]
    assert body["result"] is None
    assert wire.error_kind(code, body["errorDescription"]).category.value


@pytest.mark.parametrize(
    ("text", "encoding", "parts"),
    [
        ("a" * 160, "gsm7", 1),
        ("a" * 161, "gsm7", 2),
        ("€" * 80, "gsm7", 1),  # extension characters count two
        ("€" * 81, "gsm7", 2),
        ("Çok güzel", "gsm7", 1),  # Ç and ü are in the GSM table
        ("çok", "ucs2", 1),  # ç is not
        ("ş" * 70, "ucs2", 1),
        ("ş" * 71, "ucs2", 2),
        ("😀" * 35, "ucs2", 1),  # an emoji is two UTF-16 units
        ("😀" * 36, "ucs2", 2),
    ],
)
def test_gateway_count(text: str, encoding: str, parts: int) -> None:
    assert gateway_count(text) == (encoding, parts)


# -- strictness: what the document does not allow is refused --------------------------


@pytest.mark.parametrize(
    "body",
    [
        {k: v for k, v in send_body().items() if k != "from"},  # required field missing
        {k: v for k, v in send_body().items() if k != "text"},
        {k: v for k, v in send_body().items() if k != "destinations"},
        {**{k: v for k, v in send_body().items() if k != "from"}, "From": "ILETI"},  # case
        {**{k: v for k, v in send_body().items() if k != "validityPeriod"}, "validityperiod": 10},
        {**send_body(), "scheduled_date": ""},  # not a field of the document
        send_body(destinations=[{"number": "905321112233"}]),
        send_body(destinations=[{"To": "905321112233"}]),
        send_body(destinations=["905321112233"]),
    ],
    ids=[
        "no-from",
        "no-text",
        "no-destinations",
        "From",
        "validityperiod",
        "scheduled_date",
        "number",
        "To",
        "bare-number",
    ],
)
def test_a_field_not_in_the_document_or_missing_is_refused(
    emu: ModexiEmulator, body: dict[str, object]
) -> None:
    status, answer = call(emu, "POST", "/sms/1/advanced", body)
    assert (status, answer["errorCode"]) == (400, 400)
    assert emu.messages == []


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_missing_or_wrong_content_type_is_refused(
    emu: ModexiEmulator, content_type: str | None
) -> None:
    status, answer = call(emu, "POST", "/sms/1/advanced", send_body(), content_type=content_type)
    assert (status, answer["errorCode"]) == (400, 400)
    assert emu.messages == []
    body = {"messageCode": "1", "MessageCode": "1"}
    assert call(emu, "POST", "/sms/1/reports", body)[0] == 400
