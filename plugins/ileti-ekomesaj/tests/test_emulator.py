"""The emulator on its own, over real HTTP: the gateway's documented quirks."""

from __future__ import annotations

import http.client
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from ileti_ekomesaj import wire
from ileti_ekomesaj.emulator import EkomesajEmulator
from ileti_ekomesaj.plugin import provider_emulator

from ileti.emulation import ServedApp, VirtualClock


def post(
    served: ServedApp,
    path: str,
    payload: Any = None,
    raw: bytes | None = None,
    content_type: str | None = "application/json",
) -> tuple[int, Any]:
    parts = urlsplit(served.base_url)
    assert parts.hostname is not None
    assert parts.port is not None
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        data = raw if raw is not None else json.dumps(payload).encode()
        headers = {} if content_type is None else {"Content-Type": content_type}
        conn.request("POST", path, body=data, headers=headers)
        response = conn.getresponse()
        text = response.read().decode()
    finally:
        conn.close()
    try:
        return response.status, json.loads(text)
    except ValueError:
        return response.status, text


def credential(emulator: EkomesajEmulator, **changes: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "Username": emulator.account.credentials["username"],
        "Password": emulator.account.credentials["password"],
        "ResellerID": 2050,
    }
    found.update(changes)
    return found


def sms(*numbers: Any, text: str = "Merhaba", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ToMsisdns": [
            {"Msisdn": n, "Name": "", "Surname": "", "CustomField1": ""} for n in numbers
        ],
        "ToGroups": [],
        "IsCreateFromTeplate": False,
        "SmsTitle": "t",
        "SmsContent": text,
        "RequestGuid": "",
        "CanSendSmsToDuplicateMsisdn": False,
        "SmsSendingType": "ByNumber",
        "SmsCoding": "String",
        "SenderName": "ILETI",
        "Route": 0,
        "ValidityPeriod": 0,
        "DataCoding": "Default",
    }
    body.update(extra)
    return body


SEND = "/json/syncreply/SendInstantSms"
REPORT = "/json/syncreply/" + wire.REPORT_OPERATION


def send(served: ServedApp, emulator: EkomesajEmulator, *numbers: Any, **extra: Any) -> int:
    status, body = post(
        served, SEND, {"Credential": credential(emulator), "Sms": sms(*numbers, **extra)}
    )
    assert status == 200
    assert body["Status"]["Code"] == 200, body
    message_id: int = body["MessageID"]
    assert message_id > 0
    return message_id


def report(served: ServedApp, emulator: EkomesajEmulator, message_id: int, **paging: Any) -> Any:
    payload = {"Credential": credential(emulator), "SmsHistoryID": message_id, "StartPage": 0}
    payload.update({"PageSize": 100, **paging})
    status, body = post(served, REPORT, payload)
    assert status == 200, body
    return body


def test_hook_returns_a_fresh_emulator_on_the_given_clock() -> None:
    clock = VirtualClock()
    first, second = provider_emulator(clock=clock), provider_emulator(clock=clock)
    assert isinstance(first, EkomesajEmulator)
    assert first is not second
    assert first.clock is clock


def test_documented_send_answers_a_message_id(
    served: ServedApp, emulator: EkomesajEmulator
) -> None:
    first = send(served, emulator, 905321112233)
    second = send(served, emulator, 905321112233)
    assert second != first
    assert [m.package_id for m in emulator.messages] == [str(first), str(second)]
    assert emulator.messages[0].recipient == "+905321112233"
    assert emulator.messages[0].wire_encoding == "Default"


def test_a_quoted_msisdn_is_accepted(served: ServedApp, emulator: EkomesajEmulator) -> None:
    send(served, emulator, "905321112233")
    assert emulator.messages[-1].recipient == "+905321112233"


@pytest.mark.parametrize("number", [5321112233, "05321112233", 902121112233, 4479111234567])
def test_a_non_conforming_number_is_a_business_error(
    served: ServedApp, emulator: EkomesajEmulator, number: Any
) -> None:
    status, body = post(served, SEND, {"Credential": credential(emulator), "Sms": sms(number)})
    assert status == 200
    assert body["MessageID"] == 0
    assert body["Status"]["Code"] == 406
    assert emulator.messages == []


@pytest.mark.parametrize("number", ["abc", True, 5.5, None, "९०५३२१११२२३३"])
def test_a_msisdn_of_the_wrong_type_is_a_serialization_error(
    served: ServedApp, emulator: EkomesajEmulator, number: Any
) -> None:
    status, body = post(served, SEND, {"Credential": credential(emulator), "Sms": sms(number)})
    assert status == 400
    assert body["ResponseStatus"]["ErrorCode"] == "SerializationException"


@pytest.mark.parametrize("raw", [b"{not json", b"[1,2]", b'"text"', b"\xff\xfe"])
def test_bad_bodies_are_answered_servicestack_style(
    served: ServedApp, emulator: EkomesajEmulator, raw: bytes
) -> None:
    status, body = post(served, SEND, raw=raw)
    assert status == 400
    assert body["ResponseStatus"]["ErrorCode"] == "SerializationException"


@pytest.mark.parametrize(
    "changes",
    [{"ResellerID": 2051}, {"ResellerID": None}, {"Password": "wrong"}, {"Username": "nobody"}],
)
def test_wrong_credentials_or_reseller_id_are_a_username_password_error(
    served: ServedApp, emulator: EkomesajEmulator, changes: dict[str, Any]
) -> None:
    cred = credential(emulator, **changes)
    status, body = post(served, SEND, {"Credential": cred, "Sms": sms(905321112233)})
    assert status == 200
    assert body["MessageID"] == 0
    assert body["Status"]["Code"] == 401
    assert "Kullanıcı adı veya şifre" in body["Status"]["Message"]


def test_missing_reseller_id_is_a_username_password_error(
    served: ServedApp, emulator: EkomesajEmulator
) -> None:
    cred = credential(emulator)
    del cred["ResellerID"]
    status, body = post(served, SEND, {"Credential": cred, "Sms": sms(905321112233)})
    assert (status, body["MessageID"], body["Status"]["Code"]) == (200, 0, 401)


def test_page_size_zero_gives_http_500(served: ServedApp, emulator: EkomesajEmulator) -> None:
    message_id = send(served, emulator, 905321112233)
    payload = {"Credential": credential(emulator), "SmsHistoryID": message_id, "StartPage": 0}
    for extra in ({"PageSize": 0}, {}):
        status, body = post(served, REPORT, {**payload, **extra})
        assert status == 500
        assert body["ResponseStatus"]["ErrorCode"] == "DivideByZeroException"


def test_report_pages_are_zero_based(served: ServedApp, emulator: EkomesajEmulator) -> None:
    numbers = [905321112200 + i for i in range(5)]
    message_id = send(served, emulator, *numbers)
    pages = [report(served, emulator, message_id, StartPage=p, PageSize=2) for p in range(4)]
    assert [len(p["Details"]) for p in pages] == [2, 2, 1, 0]
    assert all(p["TotalCount"] == 5 for p in pages)
    seen = [d["Msisdn"] for p in pages for d in p["Details"]]
    assert seen == numbers


def test_report_of_an_unknown_package(served: ServedApp, emulator: EkomesajEmulator) -> None:
    body = report(served, emulator, 424242)
    assert body["Status"]["Code"] == 404
    assert body["Details"] == []


def test_states_move_with_the_clock(served: ServedApp, emulator: EkomesajEmulator) -> None:
    message_id = send(served, emulator, 905321112233, 905321112239)

    def states() -> tuple[int, list[int]]:
        body = report(served, emulator, message_id)
        return body["State"], [d["State"] for d in body["Details"]]

    assert states() == (3, [0, 0])
    emulator.clock.advance(10)
    assert states() == (1, [1, 1])
    emulator.clock.advance(20)
    assert states() == (1, [6, 6])
    emulator.clock.advance(30)
    assert states() == (1, [2, 5])
    emulator.clock.advance(3600)
    assert states() == (1, [2, 5])


def test_json_reply_route(served: ServedApp, emulator: EkomesajEmulator) -> None:
    payload = {"Credential": credential(emulator), "Sms": sms(905321112233, text="yanıt")}
    status, body = post(served, "/json/reply/SendInstantSms", payload)
    assert status == 200
    assert body["MessageID"] > 0
    assert emulator.messages[-1].text == "yanıt"


@pytest.mark.parametrize(
    ("where", "payload_of"),
    [
        ("credential", lambda e: {"credential": credential(e), "Sms": sms(905321112233)}),
        (
            "Username",
            lambda e: {
                "Credential": {
                    "username" if k == "Username" else k: v for k, v in credential(e).items()
                },
                "Sms": sms(905321112233),
            },
        ),
        (
            "SmsContent",
            lambda e: {
                "Credential": credential(e),
                "Sms": {**sms(905321112233), "smsContent": "x"},
            },
        ),
        (
            "Msisdn",
            lambda e: {
                "Credential": credential(e),
                "Sms": {**sms(), "ToMsisdns": [{"msisdn": 905321112233}]},
            },
        ),
        (
            "Text",
            lambda e: {"Credential": credential(e), "Sms": {**sms(905321112233), "Text": "x"}},
        ),
    ],
)
def test_a_name_not_in_the_document_or_in_another_case_is_refused(
    served: ServedApp, emulator: EkomesajEmulator, where: str, payload_of: Any
) -> None:
    status, body = post(served, SEND, payload_of(emulator))
    assert status == 400
    assert body["ResponseStatus"]["ErrorCode"] == "SerializationException"
    assert "is not a member" in body["ResponseStatus"]["Message"]
    assert emulator.messages == []


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        (SEND, None),
        (SEND, "text/plain"),
        (SEND, "application/x-www-form-urlencoded"),
        (SEND, "application/xml"),  # a JSON body labelled as the other style
        ("/xml/syncreply/SendInstantSms", "application/json"),
    ],
)
def test_a_missing_or_wrong_content_type_is_refused(
    served: ServedApp, emulator: EkomesajEmulator, path: str, content_type: str | None
) -> None:
    payload = {"Credential": credential(emulator), "Sms": sms(905321112233)}
    status, _ = post(served, path, payload, content_type=content_type)
    assert status == 415
    assert emulator.messages == []


@pytest.mark.parametrize(
    "sms_body",
    [
        {k: v for k, v in sms(905321112233).items() if k != "ToMsisdns"},
        {k: v for k, v in sms(905321112233).items() if k != "SmsContent"},
        {**sms(), "ToMsisdns": [{"Name": "x"}]},
    ],
    ids=["no-ToMsisdns", "no-SmsContent", "no-Msisdn"],
)
def test_a_missing_required_field_is_refused(
    served: ServedApp, emulator: EkomesajEmulator, sms_body: dict[str, Any]
) -> None:
    status, body = post(served, SEND, {"Credential": credential(emulator), "Sms": sms_body})
    assert status in (200, 400)
    if status == 200:
        assert body["MessageID"] == 0
        assert body["Status"]["Code"] == 400
    assert emulator.messages == []


def test_a_body_in_the_other_style_is_refused(
    served: ServedApp, emulator: EkomesajEmulator
) -> None:
    payload = json.dumps({"Credential": credential(emulator), "Sms": sms(905321112233)})
    status, _ = post(
        served,
        "/xml/syncreply/SendInstantSms",
        raw=payload.encode(),
        content_type="application/xml",
    )
    assert status == 400
    assert emulator.messages == []


def test_unknown_operation_is_a_servicestack_404(
    served: ServedApp, emulator: EkomesajEmulator
) -> None:
    status, body = post(served, "/json/syncreply/NoSuchOp", {})
    assert status == 404
    assert "Handler for Request not found" in body


def test_report_operation_name_is_configurable() -> None:
    from ileti.emulation import serve

    emulator = EkomesajEmulator(report_operation="GetSmsDetails")
    with serve(emulator) as served:
        message_id = send(served, emulator, 905321112233)
        payload = {
            "Credential": credential(emulator),
            "SmsHistoryID": message_id,
            "StartPage": 0,
            "PageSize": 10,
        }
        status, body = post(served, "/json/syncreply/GetSmsDetails", payload)
        assert status == 200
        assert len(body["Details"]) == 1
        status, _ = post(served, REPORT, payload)
        assert status == 404


def test_templating_follows_the_documented_example(
    served: ServedApp, emulator: EkomesajEmulator
) -> None:
    body = sms(905321112233, 905321112234, text="[Mesaj1]", IsCreateFromTeplate=True)
    body["ToMsisdns"][0]["CustomField1"] = "[Mesaj1]:Merhaba."
    body["ToMsisdns"][1]["CustomField1"] = "[Mesaj1]:Nasılsın?"
    _status, answer = post(served, SEND, {"Credential": credential(emulator), "Sms": body})
    assert answer["MessageID"] > 0
    assert [m.text for m in emulator.messages] == ["Merhaba.", "Nasılsın?"]


def test_templating_is_one_pass_and_cuts_at_the_first_colon(
    served: ServedApp, emulator: EkomesajEmulator
) -> None:
    body = sms(905321112233, text="Sayın [Mesaj1]!", IsCreateFromTeplate=True)
    body["ToMsisdns"][0]["CustomField1"] = "[Mesaj1]:a:b [Mesaj1]"
    post(served, SEND, {"Credential": credential(emulator), "Sms": body})
    assert emulator.messages[-1].text == "Sayın a:b [Mesaj1]!"


def test_templating_without_a_field_value_is_refused(
    served: ServedApp, emulator: EkomesajEmulator
) -> None:
    body = sms(905321112233, text="[Mesaj1]", IsCreateFromTeplate=True)
    _status, answer = post(served, SEND, {"Credential": credential(emulator), "Sms": body})
    assert answer["Status"]["Code"] == 400
    assert emulator.messages == []


def test_duplicates_are_dropped_unless_allowed(
    served: ServedApp, emulator: EkomesajEmulator
) -> None:
    send(served, emulator, 905321112233, 905321112233)
    assert len(emulator.messages) == 1
    send(served, emulator, 905321112233, 905321112233, CanSendSmsToDuplicateMsisdn=True)
    assert len(emulator.messages) == 3


def test_credit_falls_by_parts_times_recipients(
    served: ServedApp, emulator: EkomesajEmulator
) -> None:
    two_parts = "a" * 156  # 155 in one part (Turkish shift header), 149 a part after
    send(served, emulator, 905321112233, 905321112234, text=two_parts)
    assert emulator.credit == Decimal(1000) - 4
    turkish_two_parts = "ş" * 156  # the Turkish shift table: 2 septets each, 155 in one part
    send(served, emulator, 905321112233, text=turkish_two_parts)
    assert emulator.messages[-1].parts == 3  # 312 septets at 149 a part
    _status, body = post(served, "/json/syncreply/GetCredit", {"Credential": credential(emulator)})
    assert body["Credit"] == 1000 - 4 - 3


def test_not_enough_credit(served: ServedApp, emulator: EkomesajEmulator) -> None:
    emulator.credit = Decimal(1)
    _status, body = post(
        served, SEND, {"Credential": credential(emulator), "Sms": sms(905321112233, 905321112234)}
    )
    assert (body["MessageID"], body["Status"]["Code"]) == (0, 402)
    assert emulator.credit == 1
    assert emulator.messages == []


@pytest.mark.parametrize(
    ("sender", "ok"),
    [("ILETI", True), ("", True), ("ONAYBEKLE", False), ("ESKIBASLIK", False), ("YOK", False)],
)
def test_sender_names_and_their_states(
    served: ServedApp, emulator: EkomesajEmulator, sender: str, ok: bool
) -> None:
    _status, body = post(
        served,
        SEND,
        {"Credential": credential(emulator), "Sms": sms(905321112233, SenderName=sender)},
    )
    assert (body["MessageID"] > 0) is ok
    if not ok:
        assert body["Status"]["Code"] == 405


def test_too_many_parts_and_unsendable_characters(
    served: ServedApp, emulator: EkomesajEmulator
) -> None:
    too_long = "a" * (149 * wire.MAX_PARTS + 1)
    status, body = post(
        served, SEND, {"Credential": credential(emulator), "Sms": sms(905321112233, text=too_long)}
    )
    assert body["Status"]["Code"] == 413
    status, body = post(
        served, SEND, {"Credential": credential(emulator), "Sms": sms(905321112233, text="🙂")}
    )
    assert body["Status"]["Code"] == 400
    status, body = post(
        served,
        SEND,
        {"Credential": credential(emulator), "Sms": sms(905321112233, DataCoding="UCS2")},
    )
    assert status == 400
    assert emulator.messages == []


def test_inactive_account(served: ServedApp, emulator: EkomesajEmulator) -> None:
    emulator.account.active = False
    _status, body = post(served, "/json/syncreply/GetCredit", {"Credential": credential(emulator)})
    assert body["Status"]["Code"] == 407


def test_scheduled_package_waits_for_its_time(
    served: ServedApp, emulator: EkomesajEmulator
) -> None:
    when = emulator.clock.now() + timedelta(hours=2)
    message_id = send(
        served, emulator, 905321112233, ScheduledDeliveryTime=wire.format_schedule(when)
    )
    body = report(served, emulator, message_id)
    assert (body["State"], body["Details"][0]["State"]) == (0, 0)
    emulator.clock.advance(timedelta(hours=2))
    assert report(served, emulator, message_id)["State"] == 3
    emulator.clock.advance(60)
    assert report(served, emulator, message_id)["Details"][0]["State"] == 2


def test_stop_cancels_a_package_not_yet_sent_and_refunds(
    served: ServedApp, emulator: EkomesajEmulator
) -> None:
    message_id = send(served, emulator, 905321112233, 905321112234)
    assert emulator.credit == 998
    stop = {"Credential": credential(emulator), "SmsAction": "Stop", "SmsHistoryID": message_id}
    _status, body = post(served, "/json/syncreply/SmsStartStop", stop)
    assert body["Status"]["Code"] == 200
    assert emulator.credit == 1000
    emulator.clock.advance(120)
    body = report(served, emulator, message_id)
    assert (body["State"], [d["State"] for d in body["Details"]]) == (2, [4, 4])


def test_stop_after_sending_is_refused(served: ServedApp, emulator: EkomesajEmulator) -> None:
    message_id = send(served, emulator, 905321112233)
    emulator.clock.advance(10)
    stop = {"Credential": credential(emulator), "SmsAction": "Stop", "SmsHistoryID": message_id}
    _status, body = post(served, "/json/syncreply/SmsStartStop", stop)
    assert body["Status"]["Code"] == 400
    assert emulator.credit == 999


@pytest.mark.parametrize("code", sorted(EkomesajEmulator.documented_errors))
def test_every_documented_error_can_be_forced(
    served: ServedApp, emulator: EkomesajEmulator, code: str
) -> None:
    emulator.force_error(code)
    status, body = post(
        served, SEND, {"Credential": credential(emulator), "Sms": sms(905321112233)}
    )
    if code.isdigit():
        assert (status, body["MessageID"], body["Status"]["Code"]) == (200, 0, int(code))
        assert body["Status"]["Message"]
    else:
        assert status in (400, 500)
        assert body["ResponseStatus"]["ErrorCode"] == code
    assert emulator.messages == []


def test_credentials_carry_a_non_default_reseller_id() -> None:
    emulator = EkomesajEmulator(reseller_id=1234)
    assert emulator.credentials()["reseller_id"] == "1234"
    assert "reseller_id" not in EkomesajEmulator().credentials()
