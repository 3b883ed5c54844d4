"""The emulator on its own: the documented behaviour, quirks and bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from ileti_innomobil import emulator as emu
from ileti_innomobil.emulator import InnomobilEmulator

from ileti.emulation import EmulatorRequest, VirtualClock

JSON = {"content-type": "application/json"}


def call(
    em: InnomobilEmulator,
    op: str,
    payload: Any = None,
    *,
    raw: bytes | None = None,
    headers: dict[str, str] = JSON,
) -> Any:
    body = raw if raw is not None else json.dumps(payload).encode()
    response = em.handle(EmulatorRequest("POST", f"/api/v1/{op}", headers=headers, body=body))
    assert response.status == 200
    assert response.header("content-type") == "application/json; charset=utf-8"
    return json.loads(response.body)


def auth(em: InnomobilEmulator, **more: Any) -> dict[str, Any]:
    return {**em.credentials(), **more}


def message(em: InnomobilEmulator, **more: Any) -> dict[str, Any]:
    base = {"sender": em.default_sender, "text": "Mesaj", "utf8": "0", "gsm": ["905321112233"]}
    return {**base, **more}


def sendsms(em: InnomobilEmulator, **more: Any) -> Any:
    fields: dict[str, Any] = {"sdate": "", "vperiod": "48", "gate": 0, "message": message(em)}
    fields.update(more)
    return call(em, "sendsms", auth(em, **fields))


@pytest.fixture
def em() -> InnomobilEmulator:
    return InnomobilEmulator(clock=VirtualClock(datetime(2030, 1, 1, 9, 0, tzinfo=UTC)))


def test_login(em: InnomobilEmulator) -> None:
    assert call(em, "login", auth(em)) == {"status": "ok", "error": "", "result": "1"}
    wrong = call(em, "login", {"username": em.credentials()["username"], "password": "nope"})
    assert (wrong["status"], wrong["result"], wrong["error"]) == ("ok", "0", emu.ERR_AUTH)


@pytest.mark.parametrize("op", ["alfanumerik", "kredi", "sendsms", "multisend", "report", "bilgi"])
def test_wrong_credentials(em: InnomobilEmulator, op: str) -> None:
    answer = call(em, op, {"username": em.credentials()["username"], "password": "wrong"})
    assert answer["status"] == "error"
    assert answer["error"] == emu.ERR_AUTH
    expected_empty = [] if op in ("alfanumerik", "sendsms", "multisend", "report") else 0
    assert answer["result"] == expected_empty


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"\xff\xfe", b"", b"null"])
def test_non_conforming_bodies_get_the_error_envelope(em: InnomobilEmulator, raw: bytes) -> None:
    answer = call(em, "sendsms", raw=raw)
    assert answer == {"status": "error", "error": emu.ERR_BAD_REQUEST, "result": []}


def test_sendsms_answers_strings(em: InnomobilEmulator) -> None:
    answer = sendsms(em, message=message(em, gsm=["905321112233", "905321112234"]))
    assert answer == {
        "status": "ok",
        "error": "",
        "result": {"messageid": "120", "count": "2", "kredi": "998"},
    }
    assert em.credit == Decimal(998)
    assert [m.recipient for m in em.messages] == ["+905321112233", "+905321112234"]


def test_multisend_answers_an_id_array_and_numeric_credit(em: InnomobilEmulator) -> None:
    msgs = [message(em, text="A"), message(em, text="B" * 161, gsm=["905321112234"])]
    answer = call(em, "multisend", auth(em, sdate="", vperiod="48", gate=0, message=msgs))
    assert answer["result"] == {"messageid": ["120"], "count": "3", "kredi": 997}
    assert [(m.text[:1], m.parts) for m in em.messages] == [("A", 1), ("B", 2)]


def test_multisend_is_all_or_nothing(em: InnomobilEmulator) -> None:
    msgs = [message(em), message(em, sender="NOPE")]
    answer = call(em, "multisend", auth(em, message=msgs))
    assert answer["error"] == emu.ERR_SENDER_UNKNOWN
    assert em.messages == []
    assert em.credit == Decimal(1000)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"sender": "NOPE"}, emu.ERR_SENDER_UNKNOWN),
        ({"sender": InnomobilEmulator.pending_sender}, emu.ERR_SENDER_PENDING),
        ({"sender": InnomobilEmulator.inactive_sender}, emu.ERR_SENDER_INACTIVE),
        ({"utf8": "2"}, emu.ERR_UTF8),
        ({"utf8": None}, emu.ERR_UTF8),
        ({"gsm": []}, emu.ERR_NO_NUMBER),
        ({"gsm": "905321112233"}, emu.ERR_BAD_REQUEST),
        ({"gsm": ["5321112233"]}, emu.ERR_NUMBER),
        ({"gsm": ["+905321112233"]}, emu.ERR_NUMBER),
        ({"gsm": [905321112233]}, emu.ERR_NUMBER),
        ({"text": ""}, emu.ERR_EMPTY_TEXT),
        ({"text": 5}, emu.ERR_BAD_REQUEST),
        ({"text": "ğ", "utf8": "0"}, emu.ERR_CHARSET),
        ({"text": "ü", "utf8": "0"}, emu.ERR_CHARSET),
        ({"text": "😀", "utf8": "0"}, emu.ERR_CHARSET),
        ({"text": "x" * 613, "utf8": "0"}, emu.ERR_TOO_LONG),
        ({"text": "{" * 307, "utf8": "0"}, emu.ERR_TOO_LONG),
        ({"text": "ğ" * 269, "utf8": "1"}, emu.ERR_TOO_LONG),
    ],
)
def test_message_validation(em: InnomobilEmulator, change: dict[str, Any], error: str) -> None:
    answer = sendsms(em, message=message(em, **change))
    assert (answer["status"], answer["error"], answer["result"]) == ("error", error, [])
    assert em.messages == []
    assert emu.ERRORS[error]


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"vperiod": "49"}, emu.ERR_VPERIOD),
        ({"vperiod": "0"}, emu.ERR_VPERIOD),
        ({"vperiod": "x"}, emu.ERR_VPERIOD),
        ({"sdate": "2030-01-01"}, emu.ERR_SDATE),
        ({"sdate": "20301301000000"}, emu.ERR_SDATE),
        ({"gate": 2}, emu.ERR_GATE),
        ({"gate": "x"}, emu.ERR_GATE),
        ({"gate": 8}, emu.ERR_TCKN),
        ({"gate": [0]}, emu.ERR_BAD_REQUEST),
    ],
)
def test_request_validation(em: InnomobilEmulator, fields: dict[str, Any], error: str) -> None:
    answer = sendsms(em, **fields)
    assert (answer["status"], answer["error"]) == ("error", error)
    assert em.messages == []


@pytest.mark.parametrize(
    ("text", "utf8", "parts"),
    [
        ("x" * 160, "0", 1),
        ("x" * 161, "0", 2),
        ("x" * 612, "0", 4),
        ("€" * 80, "0", 1),
        ("€" * 81, "0", 2),
        ("ğ" * 70, "1", 1),
        ("ğ" * 71, "1", 2),
        ("ğ" * 268, "1", 4),
        ("😀" * 35, "1", 1),
        ("😀" * 36, "1", 2),
    ],
)
def test_parts_by_the_documented_rules(
    em: InnomobilEmulator, text: str, utf8: str, parts: int
) -> None:
    answer = sendsms(em, message=message(em, text=text, utf8=utf8))
    assert answer["status"] == "ok", answer
    assert answer["result"]["count"] == str(parts)
    assert em.messages[-1].parts == parts
    assert em.messages[-1].text == text


def test_insufficient_credit(em: InnomobilEmulator) -> None:
    em.credit = Decimal(3)
    answer = sendsms(em, message=message(em, text="x" * 161, gsm=["905321112233", "905321112234"]))
    assert answer["error"] == emu.ERR_CREDIT
    assert em.credit == Decimal(3)
    assert sendsms(em)["status"] == "ok"
    assert em.credit == Decimal(2)


def test_postpaid_is_never_short_of_credit(em: InnomobilEmulator) -> None:
    em.account.ledger.postpaid = True
    em.credit = Decimal(0)
    assert sendsms(em)["result"]["kredi"] == "-1"
    assert call(em, "kredi", auth(em, gate=0))["result"] == "-1"


def test_price_per_part(em: InnomobilEmulator) -> None:
    em.account.ledger.price_per_part = Decimal("0.5")
    sendsms(em, message=message(em, text="x" * 161))
    assert em.credit == Decimal(999)


def test_kredi_and_alfanumerik(em: InnomobilEmulator) -> None:
    assert call(em, "kredi", auth(em, gate=0)) == {"status": "ok", "error": "", "result": "1000"}
    assert call(em, "kredi", auth(em, gate=8))["result"] == "1000"
    assert call(em, "kredi", auth(em, gate=5))["error"] == emu.ERR_GATE
    assert call(em, "alfanumerik", auth(em))["result"] == [em.default_sender]


def test_inactive_account(em: InnomobilEmulator) -> None:
    em.account.active = False
    for op in ("kredi", "alfanumerik", "sendsms"):
        assert call(em, op, auth(em))["error"] == emu.ERR_INACTIVE


def test_report_states_and_detailed(em: InnomobilEmulator) -> None:
    sendsms(em, message=message(em, gsm=["905321112233", "905321112239"]))
    plain = call(em, "report", auth(em, messageid="120", detailed="0"))["result"]
    assert [set(i) for i in plain] == [{"gsm", "reportid", "status"}] * 2
    assert [i["status"] for i in plain] == ["1", "1"]
    em.clock.advance(59)
    assert [i["status"] for i in call(em, "report", auth(em, messageid=120))["result"]] == ["1"] * 2
    em.clock.advance(1)
    detailed = call(em, "report", auth(em, messageid="120", detailed="1"))["result"]
    assert [i["status"] for i in detailed] == ["3", "2"]
    assert all(i["adi"] == "" and i["soyadi"] == "" for i in detailed)
    missing = call(em, "report", auth(em, messageid="121"))
    assert (missing["status"], missing["error"], missing["result"]) == (
        "error",
        emu.ERR_NOT_FOUND,
        [],
    )


def test_reportbyid_quirk_is_configurable(em: InnomobilEmulator) -> None:
    sendsms(em, message=message(em, gsm=["905321112233", "905321112234"]))
    ids = [i["reportid"] for i in call(em, "report", auth(em, messageid="120"))["result"]]
    assert all(i.isalnum() and not i.isdigit() for i in ids)
    items = call(em, "reportbyid", auth(em, reportid=ids))["result"]
    assert ["gms" in items[0], "gsm" in items[1]] == [True, True]
    em.gms_typo = False
    items = call(em, "reportbyid", auth(em, reportid=list(reversed(ids))))["result"]
    assert [i["gsm"] for i in items] == ["905321112234", "905321112233"]
    assert call(em, "reportbyid", auth(em, reportid=["nope"]))["error"] == emu.ERR_NOT_FOUND
    assert call(em, "reportbyid", auth(em, reportid=[1]))["error"] == emu.ERR_BAD_REQUEST


def test_scheduled_stays_waiting_until_its_time(em: InnomobilEmulator) -> None:
    # 2030-01-01 09:00 UTC is 12:00 in Turkey; schedule for 13:00 Turkish time
    sendsms(em, sdate="20300101130000")
    report_id = call(em, "report", auth(em, messageid="120"))["result"][0]["reportid"]
    assert em.phase(report_id) == "scheduled"
    em.clock.advance(timedelta(minutes=59, seconds=59))
    assert em.phase(report_id) == "scheduled"
    em.clock.advance(timedelta(seconds=1))
    assert em.phase(report_id) == "queued"
    em.clock.advance(10)
    assert em.phase(report_id) == "sent"
    em.clock.advance(50)
    assert em.phase(report_id) == "delivered"
    with pytest.raises(KeyError):
        em.phase("nope")


def test_past_sdate_sends_now(em: InnomobilEmulator) -> None:
    sendsms(em, sdate="20200101000000")
    report_id = call(em, "report", auth(em, messageid="120"))["result"][0]["reportid"]
    assert em.phase(report_id) == "queued"


_RANK = {"scheduled": 0, "queued": 1, "sent": 2, "delivered": 3, "undelivered": 3}


@settings(max_examples=40)
@given(
    steps=st.lists(st.integers(min_value=0, max_value=4000), min_size=1, max_size=12),
    delay=st.integers(min_value=0, max_value=7200),
    last=st.integers(min_value=0, max_value=9),
)
def test_states_never_move_backwards(steps: list[int], delay: int, last: int) -> None:
    em = InnomobilEmulator(clock=VirtualClock(datetime(2030, 1, 1, 9, 0, tzinfo=UTC)))
    when = datetime(2030, 1, 1, 12, 0) + timedelta(seconds=delay)  # Turkish local time
    number = f"90532111223{last}"
    sendsms(em, sdate=when.strftime("%Y%m%d%H%M%S"), message=message(em, gsm=[number]))
    report_id = call(em, "report", auth(em, messageid="120"))["result"][0]["reportid"]
    seen = [em.phase(report_id)]
    for step in steps:
        em.clock.advance(step)
        seen.append(em.phase(report_id))
    ranks = [_RANK[p] for p in seen]
    assert ranks == sorted(ranks)
    finals = {p for p in seen if _RANK[p] == 3}
    assert finals <= {"undelivered" if last == 9 else "delivered"}


def test_reports_lists_submissions(em: InnomobilEmulator) -> None:
    sendsms(em, message=message(em, text="x" * 161, gsm=["905321112233", "905321112239"]))
    sendsms(em, sdate="20300102120000")
    em.clock.advance(60)
    now = int(em.clock.now().timestamp())
    rows = call(em, "reports", auth(em, sdate=str(now - 3600), fdate=str(now), page="x", tip=0))
    assert rows["result"] == [
        {
            "messageid": "120",
            "datetime": "2030-01-01 12:00:00",
            "sender": em.default_sender,
            "text": "x" * 161,
            "smscount": "4",
            "gsmcount": "2",
            "statusok": "1",
            "statuswait": "0",
            "statusfail": "1",
        }
    ]
    scheduled = call(em, "reports", auth(em, sdate="0", fdate=str(now + 86400), tip=1))
    assert [r["messageid"] for r in scheduled["result"]] == ["121"]
    other_sender = call(em, "reports", auth(em, alfanumerik="OTHER"))
    assert other_sender["result"] == []
    page_two = call(em, "reports", auth(em, page="2"))
    assert page_two["result"] == []


def test_account_operations(em: InnomobilEmulator) -> None:
    assert call(em, "bilgi", auth(em))["result"]["ad"] == "inno"
    assert call(em, "sifremiunuttum", {"mail": "x@y.z", "telefon": "1"})["result"] == 0
    info = em.profile
    found = call(em, "sifremiunuttum", {"mail": info["mail"], "telefon": info["telefon"]})
    assert found["result"] == 1
    assert call(em, "changepassword", auth(em, newpassword=""))["status"] == "error"
    assert call(em, "changepassword", auth(em, newpassword="yeni"))["result"] == "1"
    assert em.credentials()["password"] == "yeni"


def test_force_error_uses_the_envelope(em: InnomobilEmulator) -> None:
    em.force_error(emu.ERR_CREDIT)
    assert sendsms(em) == {"status": "error", "error": emu.ERR_CREDIT, "result": []}
    em.force_error(emu.ERR_AUTH)
    assert call(em, "kredi", auth(em)) == {"status": "error", "error": emu.ERR_AUTH, "result": 0}
    assert sendsms(em)["status"] == "ok"


def test_unknown_path_and_method(em: InnomobilEmulator) -> None:
    assert em.handle(EmulatorRequest("POST", "/api/v1/nope", body=b"{}")).status == 404
    assert em.handle(EmulatorRequest("GET", "/api/v1/sendsms")).status == 405


_OPS = [
    "login", "alfanumerik", "kredi", "sendsms", "multisend", "report", "reportbyid",
    "reports", "changepassword", "bilgi", "sifremiunuttum",
]  # fmt: skip
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
_FIELDS = st.sampled_from(
    ["sdate", "fdate", "vperiod", "gate", "message", "messageid", "detailed", "reportid",
     "page", "alfanumerik", "tip", "newpassword", "mail", "telefon"]
)  # fmt: skip


@settings(max_examples=300)
@given(
    op=st.sampled_from(_OPS),
    fields=st.dictionaries(_FIELDS, _JSON | st.text(alphabet="0123456789", max_size=30)),
    with_credentials=st.booleans(),
)
@example(op="reports", fields={"sdate": "9" * 30}, with_credentials=True)
@example(op="reports", fields={"fdate": "9" * 12}, with_credentials=True)
# digits str.isdigit takes and int refuses (they crashed the emulator)
@example(op="sendsms", fields={"gate": "²"}, with_credentials=True)
@example(op="sendsms", fields={"gate": "0", "vperiod": "٤"}, with_credentials=True)
@example(op="reports", fields={"sdate": "¹"}, with_credentials=True)
@example(op="reports", fields={"page": "²"}, with_credentials=True)
def test_any_json_gets_the_envelope(
    op: str, fields: dict[str, Any], with_credentials: bool
) -> None:
    em = InnomobilEmulator(clock=VirtualClock(datetime(2030, 1, 1, 9, 0, tzinfo=UTC)))
    sendsms(em)  # something to report on
    payload = {**em.credentials(), **fields} if with_credentials else fields
    answer = call(em, op, payload)
    assert set(answer) == {"status", "error", "result"}
    assert answer["status"] in ("ok", "error")
    assert isinstance(answer["error"], str)


# -- strictness: what the document does not allow is refused --------------------------


def _send_fields(em: InnomobilEmulator) -> dict[str, Any]:
    return auth(em, sdate="", vperiod="48", gate=0, message=message(em))


@pytest.mark.parametrize(
    "headers",
    [{}, {"content-type": "text/plain"}, {"content-type": "application/x-www-form-urlencoded"}],
    ids=["missing", "text", "form"],
)
def test_a_missing_or_wrong_content_type_is_refused(
    em: InnomobilEmulator, headers: dict[str, str]
) -> None:
    answer = call(em, "sendsms", _send_fields(em), headers=headers)
    assert (answer["status"], answer["error"]) == ("error", emu.ERR_BAD_REQUEST)
    assert em.messages == []


@pytest.mark.parametrize(
    "change",
    [
        lambda f: {**f, "Gate": f.pop("gate")},  # a key in another case
        lambda f: {**f, "vPeriod": f.pop("vperiod")},
        lambda f: {**f, "validity": "48"},  # a key the document does not give
        lambda f: {k: v for k, v in f.items() if k != "message"},  # required key missing
        lambda f: {**f, "message": {**f["message"], "Text": f["message"].pop("text")}},
        lambda f: {**f, "message": {k: v for k, v in f["message"].items() if k != "utf8"}},
        lambda f: {**f, "message": {**f["message"], "flash": "1"}},
    ],
    ids=["Gate", "vPeriod", "validity", "no-message", "Text", "no-utf8", "flash"],
)
def test_a_key_not_in_the_document_or_missing_is_refused(
    em: InnomobilEmulator, change: Any
) -> None:
    answer = call(em, "sendsms", change(_send_fields(em)))
    assert (answer["status"], answer["error"]) == ("error", emu.ERR_BAD_REQUEST)
    assert em.messages == []


@pytest.mark.parametrize(
    ("op", "payload_of"),
    [
        ("report", lambda e: auth(e, messageId="120")),
        ("reportbyid", lambda e: auth(e, reportID=["a"])),
        ("kredi", lambda e: auth(e, Gate=0)),
        ("reports", lambda e: auth(e, SDate="1")),
    ],
)
def test_every_operation_checks_its_keys(em: InnomobilEmulator, op: str, payload_of: Any) -> None:
    answer = call(em, op, payload_of(em))
    assert (answer["status"], answer["error"]) == ("error", emu.ERR_BAD_REQUEST)
