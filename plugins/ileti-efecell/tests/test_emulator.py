"""The emulator on its own, over HTTP, as the document describes the gateway."""

from __future__ import annotations

import http.client
import json
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ileti_efecell import plugin
from ileti_efecell.emulator import EfecellEmulator, count_parts, resolve_auto

from ileti.emulation import EmulatorRequest, ServedApp, VirtualClock
from ileti.errors import IletiError
from ileti.text import count

GOOD = "5321112233"


class Gateway:
    """Raw HTTP calls to a served emulator."""

    def __init__(self, served: ServedApp, key: str) -> None:
        parts = urlsplit(served.base_url)
        assert parts.hostname is not None
        assert parts.port is not None
        self.host, self.port = parts.hostname, parts.port
        self.key = key

    def call(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        raw: bytes | None = None,
        auth: str | None = None,
        content_type: str | None = "application/json",
    ) -> tuple[int, Any]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=5)
        headers = {"Accept": "application/json"}
        if content_type is not None:
            headers["Content-Type"] = content_type
        headers["Authorization"] = auth if auth is not None else f"Key {self.key}"
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            return response.status, json.loads(response.read())
        finally:
            conn.close()

    def basic(self, to: object, message: str = "Test SMS.", **extra: object) -> tuple[int, Any]:
        body = {"originator": "ILETI", "message": message, "to": to, **extra}
        return self.call("POST", "/v2/sms/basic", body)


@pytest.fixture
def gw(served: ServedApp, emulator: EfecellEmulator) -> Gateway:
    return Gateway(served, emulator.credentials()["api_key"])


def status_of(answer: tuple[int, Any]) -> tuple[int, int, bool]:
    http_status, body = answer
    return http_status, body["status"]["code"], body["status"]["successful"]


def assert_error(answer: tuple[int, Any], code: int) -> dict[str, Any]:
    assert status_of(answer) == (code, code, False)
    assert answer[1]["response"] == []
    status: dict[str, Any] = answer[1]["status"]
    assert status["description"]
    return status


# -- auth and envelope -------------------------------------------------------------------


@pytest.mark.parametrize(
    "auth", ["", "Key wrong", "Bearer efecell-emulator-key", "efecell-emulator-key", "Key"]
)
def test_wrong_authorization_is_401(gw: Gateway, auth: str) -> None:
    assert_error(gw.call("GET", "/v2/get/balance", auth=auth), 401)


def test_scheme_word_is_case_insensitive(gw: Gateway, emulator: EfecellEmulator) -> None:
    assert (
        status_of(
            gw.call("GET", "/v2/get/balance", auth=f"key {emulator.credentials()['api_key']}")
        )[0]
        == 200
    )


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_balance_answers_the_documented_shape(gw: Gateway, method: str) -> None:
    assert gw.call(method, "/v2/get/balance") == (
        200,
        {"status": {"code": 200, "successful": True}, "response": {"balance": 1000}},
    )


def test_originators(gw: Gateway) -> None:
    assert gw.call("GET", "/v2/get/originators")[1]["response"] == {"originators": ["ILETI"]}
    detailed = gw.call("POST", "/v2/get/originators/detailed")[1]["response"]["originators"]
    assert {"name": "ILETI", "status": 1} in detailed
    assert {o["status"] for o in detailed} == {0, 1, 2}


def test_unknown_paths_and_methods_answer_in_the_envelope(gw: Gateway) -> None:
    assert status_of(gw.call("GET", "/v2/nothing")) == (404, 404, False)
    assert status_of(gw.call("GET", "/v2/sms/basic")) == (405, 405, False)


@pytest.mark.parametrize("raw", [b"{", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_bad_bodies_are_400_not_a_crash(gw: Gateway, raw: bytes) -> None:
    assert_error(gw.call("POST", "/v2/sms/basic", raw=raw), 400)


@pytest.mark.parametrize(
    "messages", [{"to": GOOD}, "x", [1, 2], [{"to": GOOD, "message": 5}], [{"message": "a"}]]
)
def test_bad_multi_bodies_are_answered(gw: Gateway, messages: object) -> None:
    http_status, body = gw.call(
        "POST", "/v2/sms/multi", {"originator": "ILETI", "messages": messages}
    )
    assert http_status in (400, 406)
    assert body["status"]["successful"] is False


# -- sending -----------------------------------------------------------------------------


def test_basic_send_answers_like_the_document(gw: Gateway, emulator: EfecellEmulator) -> None:
    http_status, body = gw.basic([GOOD, "5321112234"], encoding="auto")
    assert http_status == 200
    assert body == {
        "status": {"code": 200, "successful": True},
        "response": {
            "message": {
                "id": 13544,
                "originator": "ILETI",
                "message": "Test SMS.",
                "count": 2,
                "price": 1,
                "total_price": 2,
            }
        },
    }
    assert emulator.credit == 998
    assert [m.recipient for m in emulator.messages] == ["+905321112233", "+905321112234"]
    assert {m.wire_encoding for m in emulator.messages} == {"auto"}
    assert {m.sender for m in emulator.messages} == {"ILETI"}


def test_one_number_as_a_string_is_accepted(gw: Gateway, emulator: EfecellEmulator) -> None:
    assert gw.basic(GOOD)[0] == 200
    assert [m.recipient for m in emulator.messages] == ["+905321112233"]


def test_multi_send(gw: Gateway, emulator: EfecellEmulator) -> None:
    http_status, body = gw.call(
        "POST",
        "/v2/sms/multi",
        {
            "originator": "ILETI",
            "messages": [{"to": GOOD, "message": "a"}, {"to": "5321112234", "message": "b" * 200}],
            "encoding": "default",
        },
    )
    assert http_status == 200
    assert body["response"] == {
        "message": {"id": 13544, "originator": "ILETI", "count": 2, "total_price": 3}
    }
    assert [(m.text, m.parts) for m in emulator.messages] == [("a", 1), ("b" * 200, 2)]


@pytest.mark.parametrize(
    "to",
    [
        "05321112233",
        "905321112233",
        "+905321112233",
        "532111223",
        "2121112233",
        "532111223a",
        "５３２１１１２２３３",
        ["5321112233", 5321112234],
        {"to": GOOD},
    ],
)
def test_numbers_other_than_ten_digits_are_406(
    gw: Gateway, emulator: EfecellEmulator, to: object
) -> None:
    assert_error(gw.basic(to), 406)
    assert emulator.messages == []
    assert emulator.credit == 1000


def test_blocked_numbers_are_406(gw: Gateway, emulator: EfecellEmulator) -> None:
    emulator.blocked_numbers.add(GOOD)
    assert_error(gw.basic([GOOD]), 406)


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ({"message": "x", "to": [GOOD]}, "Başlık"),
        ({"originator": "", "message": "x", "to": [GOOD]}, "Başlık"),
        ({"originator": "NOBODY", "message": "x", "to": [GOOD]}, "Başlık"),
        ({"originator": "ILETIBEKLE", "message": "x", "to": [GOOD]}, "Başlık"),
        ({"originator": "ILETIPASIF", "message": "x", "to": [GOOD]}, "Başlık"),
        ({"originator": "ILETI", "message": "", "to": [GOOD]}, "Mesaj"),
        ({"originator": "ILETI", "to": [GOOD]}, "Mesaj"),
        ({"originator": "ILETI", "message": "x", "to": []}, "Numara"),
        ({"originator": "ILETI", "message": "x"}, "Numara"),
        ({"originator": "ILETI", "message": "x", "to": [GOOD], "encoding": "latin"}, "encoding"),
        ({"originator": "ILETI", "message": "x", "to": [GOOD], "encoding": 8}, "encoding"),
        ({"originator": "ILETI", "message": "😀", "to": [GOOD], "encoding": "default"}, "karakter"),
        ({"originator": "ILETI", "message": "😀", "to": [GOOD], "encoding": "tr"}, "karakter"),
    ],
)
def test_client_errors_are_400(
    gw: Gateway, emulator: EfecellEmulator, body: dict[str, object], word: str
) -> None:
    status = assert_error(gw.call("POST", "/v2/sms/basic", body), 400)
    assert word in status["description"]
    assert emulator.messages == []


@pytest.mark.parametrize(
    ("encoding", "text", "parts"),
    [
        ("default", "a" * 612, 4),
        ("utf-8", "ş" * 268, 4),
        ("turkish", "a" * 612, 4),
        ("tr", "ş" * 304, 4),  # 76 two-unit letters fill a 153-unit part
        ("auto", "a" * 612, 4),
        ("auto", "ş" * 268, 4),
    ],
)
def test_the_longest_texts_are_accepted(
    gw: Gateway, emulator: EfecellEmulator, encoding: str, text: str, parts: int
) -> None:
    assert gw.basic([GOOD], text, encoding=encoding)[0] == 200
    assert emulator.messages[-1].parts == parts


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("default", "a" * 613),
        ("default", "a" * 611 + "€"),
        ("utf-8", "ş" * 269),
        ("turkish", "ş" * 305),
        ("auto", "ş" * 269),
    ],
)
def test_longer_texts_are_413(
    gw: Gateway, emulator: EfecellEmulator, encoding: str, text: str
) -> None:
    assert_error(gw.basic([GOOD], text, encoding=encoding), 413)
    assert emulator.credit == 1000


def test_default_encoding_is_default(gw: Gateway, emulator: EfecellEmulator) -> None:
    assert gw.basic([GOOD], "a" * 161)[0] == 200
    assert (emulator.messages[-1].wire_encoding, emulator.messages[-1].parts) == ("default", 2)


def test_too_little_credit_is_402_and_changes_nothing(
    gw: Gateway, emulator: EfecellEmulator
) -> None:
    emulator.credit = Decimal(3)
    assert_error(gw.basic([GOOD, "5321112234"], "a" * 200), 402)  # 2 parts x 2
    assert emulator.credit == 3
    assert emulator.messages == []
    assert emulator.packages == {}
    assert gw.basic([GOOD], "a" * 200)[0] == 200
    assert emulator.credit == 1


def test_an_inactive_account_cannot_send_but_can_read(
    gw: Gateway, emulator: EfecellEmulator
) -> None:
    emulator.account.active = False
    assert_error(gw.basic([GOOD]), 407)
    assert gw.call("GET", "/v2/get/balance")[0] == 200


def test_forbidden_paths_are_403(gw: Gateway, emulator: EfecellEmulator) -> None:
    emulator.forbidden_paths.add("/v2/sms/multi")
    assert_error(gw.call("POST", "/v2/sms/multi", {}), 403)
    assert gw.basic([GOOD])[0] == 200


@pytest.mark.parametrize("code", sorted(EfecellEmulator.documented_errors))
def test_forced_errors_answer_the_documented_envelope(
    gw: Gateway, emulator: EfecellEmulator, code: str
) -> None:
    emulator.force_error(code)
    assert_error(gw.call("GET", "/v2/get/balance"), int(code))
    assert gw.call("GET", "/v2/get/balance")[0] == 200


# -- reports -----------------------------------------------------------------------------


def report(gw: Gateway, package_id: object) -> dict[str, Any]:
    http_status, body = gw.call("POST", "/v2/get/report", {"id": package_id})
    assert http_status == 200
    message: dict[str, Any] = body["response"]["message"]
    return message


def test_states_advance_with_the_clock(
    gw: Gateway, emulator: EfecellEmulator, clock: VirtualClock
) -> None:
    package_id = gw.basic([GOOD, "5321112239"], "a" * 200)[1]["response"]["message"]["id"]
    first = report(gw, package_id)
    assert first["status"] == 0
    assert [d["status"] for d in first["details"]] == [0, 0]
    assert [d["to"] for d in first["details"]] == [GOOD, "5321112239"]
    assert first["details"][0]["time"] == "2026-03-02 12:00:00"  # Istanbul, UTC+3
    assert (first["count"], first["price"], first["message"]) == (2, 4, "a" * 200)
    clock.advance(9.9)
    assert report(gw, package_id)["status"] == 0
    clock.advance(0.1)
    assert report(gw, package_id)["status"] == 1
    clock.advance(49.9)
    assert report(gw, package_id)["status"] == 1
    assert emulator.credit == 996
    clock.advance(0.1)
    final = report(gw, package_id)
    assert final["status"] == 3  # undelivered recipients refunded
    assert [d["status"] for d in final["details"]] == [1, 2]
    assert final["details"][0]["time"] == "2026-03-02 12:01:00"
    assert emulator.credit == 998  # the 2 parts of the undelivered recipient came back
    clock.advance(3600)
    assert report(gw, package_id)["details"] == final["details"]
    assert emulator.credit == 998


def test_all_delivered_is_status_2(gw: Gateway, clock: VirtualClock) -> None:
    package_id = gw.basic([GOOD])[1]["response"]["message"]["id"]
    clock.advance(60)
    assert report(gw, package_id)["status"] == 2


def test_no_information_numbers_end_with_99(
    gw: Gateway, emulator: EfecellEmulator, clock: VirtualClock
) -> None:
    emulator.no_information.add("+90" + GOOD)
    package_id = gw.basic([GOOD])[1]["response"]["message"]["id"]
    clock.advance(60)
    assert report(gw, package_id)["details"][0]["status"] == 99


def test_without_refunds_credit_stays_spent(
    gw: Gateway, emulator: EfecellEmulator, clock: VirtualClock
) -> None:
    emulator.refund_undelivered = False
    package_id = gw.basic(["5321112239"])[1]["response"]["message"]["id"]
    clock.advance(60)
    assert report(gw, package_id)["status"] == 2
    assert emulator.credit == 999


def test_refund_happens_once_whatever_is_asked(
    gw: Gateway, emulator: EfecellEmulator, clock: VirtualClock
) -> None:
    gw.basic(["5321112239"])
    clock.advance(60)
    for _ in range(3):
        gw.call("GET", "/v2/get/balance")
    assert emulator.credit == 1000


def test_forced_package_status(gw: Gateway, emulator: EfecellEmulator, clock: VirtualClock) -> None:
    package_id = gw.basic([GOOD])[1]["response"]["message"]["id"]
    emulator.set_package_status(package_id, 95)
    clock.advance(120)
    answer = report(gw, package_id)
    assert answer["status"] == 95
    assert [d["status"] for d in answer["details"]] == [0]
    with pytest.raises(ValueError, match="cannot be forced"):
        emulator.set_package_status(package_id, 2)


def test_a_final_package_cannot_be_forced(gw: Gateway, emulator: EfecellEmulator,
                                          clock: VirtualClock) -> None:  # fmt: skip
    package_id = gw.basic([GOOD])[1]["response"]["message"]["id"]
    clock.advance(60)
    with pytest.raises(ValueError, match="already final"):
        emulator.set_package_status(package_id, 95)


def test_report_by_get_query(gw: Gateway) -> None:
    package_id = gw.basic([GOOD])[1]["response"]["message"]["id"]
    http_status, body = gw.call("GET", f"/v2/get/report?id={package_id}")
    assert http_status == 200
    assert body["response"]["message"]["id"] == package_id


def test_multi_report_has_per_recipient_texts(gw: Gateway) -> None:
    gw.call(
        "POST",
        "/v2/sms/multi",
        {"originator": "ILETI", "messages": [{"to": GOOD, "message": "hi"}]},
    )
    answer = report(gw, 13544)
    assert "message" not in answer
    assert answer["details"][0]["message"] == "hi"


@pytest.mark.parametrize("package_id", [None, "", 99, "abc", True, [1]])
def test_report_of_unknown_or_missing_ids_is_400(gw: Gateway, package_id: object) -> None:
    body = {} if package_id is None else {"id": package_id}
    assert_error(gw.call("POST", "/v2/get/report", body), 400)


# -- counting ----------------------------------------------------------------------------

TEXT = st.text(
    alphabet=st.sampled_from(
        [
            *"abcXYZ 019.,!?@£$¥èéùìòÇØøÅåΔ_ΦΓÆæßÉ¡ÄÖÑÜ§¿äöñüà\n^{}\\[]~|€çğıİöşüÇĞÖŞÜ",
            *("😀", "₺", "\t", "’", "ж", "\u00a0"),
        ]
    ),
    max_size=700,
)

PROFILE_NAME = {"default": "gsm7", "utf-8": "ucs2", "turkish": "turkish"}


@given(TEXT, st.sampled_from(["default", "utf-8", "turkish"]))
def test_emulator_counting_agrees_with_the_text_engine(text: str, charset: str) -> None:
    billed = count_parts(text, charset)
    try:
        _, predicted, _ = count(text, PROFILE_NAME[charset], plugin.TEXT_PROFILE)
    except IletiError:
        assert billed is None
    else:
        assert billed == predicted


@given(TEXT)
def test_auto_is_default_for_gsm_text_else_utf8(text: str) -> None:
    try:
        count(text, "gsm7", plugin.TEXT_PROFILE)
    except IletiError:
        assert resolve_auto(text) == "utf-8"
    else:
        assert resolve_auto(text) == "default"


@pytest.mark.parametrize(
    ("text", "charset", "parts"),
    [
        ("a" * 160, "default", 1),
        ("a" * 161, "default", 2),
        ("a" * 152 + "€", "default", 1),  # 154 units > 153 but <= 160: one SMS
        ("a" * 159 + "€", "default", 2),  # 161 units
        ("a" * 152 + "€" + "a" * 152, "default", 3),  # 306 units, but € is not split
        ("ç" * 80, "turkish", 1),
        ("ç" * 81, "turkish", 2),
        ("Ö" * 80, "turkish", 1),  # Ö is GSM, but a Turkish letter: 2 in turkish
        ("Ö" * 160, "default", 1),
        ("😀" * 35, "utf-8", 1),
        ("😀" * 36, "utf-8", 2),
        ("a" * 66 + "😀", "utf-8", 1),  # 68 units
        ("a" * 70 + "😀", "utf-8", 2),
        ("ç", "default", None),
        ("😀", "turkish", None),
    ],
)
def test_documented_counting(text: str, charset: str, parts: int | None) -> None:
    assert count_parts(text, charset) == parts


# -- non-conforming input never crashes the emulator --------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "originator": st.one_of(st.just("ILETI"), JSON),
        "message": st.one_of(st.just("hi"), JSON),
        "to": st.one_of(st.just([GOOD]), st.just(GOOD), JSON),
        "messages": st.one_of(st.just([{"to": GOOD, "message": "hi"}]), JSON),
        "encoding": st.one_of(st.sampled_from(["default", "utf-8", "turkish", "tr", "auto"]), JSON),
        "id": st.one_of(st.just(13544), JSON),
    },
)


PATHS = (
    "/v2/sms/basic",
    "/v2/sms/multi",
    "/v2/get/report",
    "/v2/get/balance",
    "/v2/get/originators",
    "/v2/get/originators/detailed",
)


@given(
    path=st.sampled_from(PATHS),
    body=st.one_of(FIELDS, JSON),
)
def test_any_json_gets_an_envelope(path: str, body: object) -> None:
    emulator = EfecellEmulator(clock=VirtualClock())
    request = EmulatorRequest(
        method="POST",
        path=path,
        headers={
            "authorization": f"Key {emulator.credentials()['api_key']}",
            "content-type": "application/json",
        },
        body=json.dumps(body).encode(),
    )
    response = emulator.handle(request)
    answer = json.loads(response.body)
    code = answer["status"]["code"]
    assert response.status == code
    assert code in {200, 400, 402, 406, 413}
    assert answer["status"]["successful"] is (code == 200)
    if code != 200:
        assert answer["response"] == []
        assert emulator.credit == 1000
        assert emulator.messages == []


@pytest.mark.parametrize("raw", [b"Infinity", b"-Infinity", b"1e999"])
def test_an_infinite_report_id_is_an_unknown_id(raw: bytes) -> None:
    """Found by the test above: an id Python's JSON reader takes as an
    infinite float crashed the emulator (int() of it)."""
    emulator = EfecellEmulator(clock=VirtualClock())
    request = EmulatorRequest(
        method="POST",
        path="/v2/get/report",
        headers={
            "authorization": f"Key {emulator.credentials()['api_key']}",
            "content-type": "application/json",
        },
        body=b'{"id": ' + raw + b"}",
    )
    response = emulator.handle(request)
    assert response.status == 400
    assert json.loads(response.body)["status"]["successful"] is False


# -- strictness: what the document does not allow is refused --------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v2/sms/basic", {"Originator": "ILETI", "message": "x", "to": ["5321112233"]}),
        ("/v2/sms/basic", {"originator": "ILETI", "Message": "x", "to": ["5321112233"]}),
        ("/v2/sms/basic", {"originator": "ILETI", "message": "x", "To": ["5321112233"]}),
        ("/v2/sms/basic", {"originator": "ILETI", "message": "x", "to": ["5321112233"], "id": 1}),
        ("/v2/sms/multi", {"originator": "ILETI", "Messages": []}),
        (
            "/v2/sms/multi",
            {"originator": "ILETI", "messages": [{"To": "5321112233", "message": "x"}]},
        ),
        ("/v2/sms/multi", {"originator": "ILETI", "messages": [{"to": "5321112233", "text": "x"}]}),
        ("/v2/get/report", {"ID": 13544}),
    ],
    ids=["Originator", "Message", "To", "basic-id", "Messages", "multi-To", "multi-text", "ID"],
)
def test_a_field_not_in_the_document_is_refused(
    gw: Gateway, emulator: EfecellEmulator, path: str, body: object
) -> None:
    assert_error(gw.call("POST", path, body), 400)
    assert emulator.messages == []


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v2/sms/basic", {"message": "x", "to": ["5321112233"]}),  # no originator
        ("/v2/sms/basic", {"originator": "ILETI", "to": ["5321112233"]}),  # no message
        ("/v2/sms/basic", {"originator": "ILETI", "message": "x"}),  # no number
        ("/v2/sms/multi", {"originator": "ILETI"}),  # no messages
        ("/v2/get/report", {}),  # no id
    ],
)
def test_a_missing_required_field_is_refused(
    gw: Gateway, emulator: EfecellEmulator, path: str, body: object
) -> None:
    assert_error(gw.call("POST", path, body), 400)
    assert emulator.messages == []


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_missing_or_wrong_content_type_is_refused(
    gw: Gateway, emulator: EfecellEmulator, content_type: str | None
) -> None:
    body = {"originator": "ILETI", "message": "x", "to": ["5321112233"]}
    assert_error(gw.call("POST", "/v2/sms/basic", body, content_type=content_type), 400)
    assert emulator.messages == []
