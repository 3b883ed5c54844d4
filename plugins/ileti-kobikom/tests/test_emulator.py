"""The emulator on its own, over HTTP: transports, quirks, errors, states."""

from __future__ import annotations

import urllib.request
from decimal import Decimal
from typing import Any
from urllib.parse import quote_plus, urlencode

import pytest
import xmltodict
from ileti_kobikom.emulator import KobikomEmulator

from ileti.emulation import ServedApp, VirtualClock

USER, PASSWORD = "ileti-demo", "emulator-parola"


def auth(user: str = USER, password: str = PASSWORD) -> str:
    return f"<dogrulama><kullanici>{user}</kullanici><parola>{password}</parola></dogrulama>"


def sms(
    *gsm: str,
    text: str = "Merhaba",
    extra: str = "",
    sender: str = "<baslik>ILETI</baslik>",
    credentials: str | None = None,
) -> str:
    recipients = "".join(gsm)
    return (
        f"<SMS>{auth() if credentials is None else credentials}<mesajiniz>{sender}"
        f"<metin>{text}</metin>{extra}<alicilar>{recipients}</alicilar></mesajiniz></SMS>"
    )


def request(
    served: ServedApp,
    body: bytes | None = None,
    *,
    path: str = "/api/sendsms/xml/",
    content_type: str = "application/x-www-form-urlencoded",
) -> tuple[int, str, str]:
    req = urllib.request.Request(  # noqa: S310 - loopback URL of the served emulator
        served.base_url + path,
        data=body,
        method="POST" if body is not None else "GET",
        headers={"Content-Type": content_type} if body is not None else {},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
        return resp.status, resp.headers["Content-Type"], resp.read().decode("utf-8")


def form(xml: str) -> bytes:
    return ("XML=" + quote_plus(xml)).encode()


def post(served: ServedApp, xml: str) -> Any:
    status, content_type, text = request(served, form(xml))
    assert status == 200
    assert content_type == "text/csv;charset=UTF-8"  # the documented quirk
    return xmltodict.parse(text, force_list=("result", "baslik", "message"))


def results(served: ServedApp, xml: str) -> list[dict[str, str]]:
    parsed: list[dict[str, str]] = post(served, xml)["results"]["result"]
    return parsed


def pull(served: ServedApp, **params: str) -> str:
    query = urlencode({"kullanici": USER, "parola": PASSWORD, **params})
    status, _content_type, text = request(served, path=f"/api/sendsms/xml/pull?{query}")
    assert status == 200
    return text


ONE = sms('<gsm messageId="t1">905321112233</gsm>')
FORMS = {
    "form": (form(ONE), "application/x-www-form-urlencoded"),
    "literal": (("XML=\n" + ONE).encode(), "application/xml"),
    "raw": (ONE.encode(), "application/xml"),
}


@pytest.mark.parametrize("style", ["form", "literal", "raw"])
@pytest.mark.parametrize("sent_as", ["form", "literal", "raw"])
def test_only_the_configured_body_style_is_taken(
    served: ServedApp, emulator: KobikomEmulator, style: str, sent_as: str
) -> None:
    emulator.body_style = style
    body, content_type = FORMS[sent_as]
    status, _, text = request(served, body, content_type=content_type)
    assert status == 200
    (result,) = xmltodict.parse(text, force_list=("result",))["results"]["result"]
    if sent_as == style:
        assert result == {"status": "0", "messageid": "t1", "destination": "905321112233"}
        assert [m.recipient for m in emulator.messages] == ["+905321112233"]
    else:
        assert result == {"status": "-22"}
        assert emulator.messages == []


@pytest.mark.parametrize(
    ("style", "body", "content_type"),
    [
        # the form field under another content type, or with another field beside it
        ("form", form(ONE), "application/xml"),
        ("form", form(ONE), "text/plain"),
        ("form", (urlencode({"other": "1"}) + "&" + form(ONE).decode()).encode(), FORMS["form"][1]),
        ("form", ("xml=" + quote_plus(ONE)).encode(), FORMS["form"][1]),  # wrong case
        # the document's run-together header line is no content type
        ("literal", ("XML=\n" + ONE).encode(), "application/xml Accept: */*"),
        ("literal", ("XML=\n" + ONE).encode(), "application/x-www-form-urlencoded"),
        ("raw", ONE.encode(), "text/plain"),
        ("raw", ONE.encode(), "application/json"),
    ],
    ids=[
        "form-as-xml",
        "form-as-text",
        "form-second-field",
        "form-lowercase-field",
        "literal-run-together-header",
        "literal-as-form",
        "raw-as-text",
        "raw-as-json",
    ],
)
def test_a_wrong_content_type_or_form_is_refused(
    served: ServedApp, emulator: KobikomEmulator, style: str, body: bytes, content_type: str
) -> None:
    emulator.body_style = style
    status, _, text = request(served, body, content_type=content_type)
    assert status == 200
    assert xmltodict.parse(text)["results"]["result"] == {"status": "-22"}
    assert emulator.messages == []


@pytest.mark.parametrize(
    "xml",
    [
        sms("<GSM>905321112233</GSM>"),  # element in the wrong case
        sms('<gsm messageid="t1">905321112233</gsm>'),  # attribute in the wrong case
        sms("<gsm>905321112233</gsm>", extra="<Flash>0</Flash>"),
        sms("<gsm>905321112233</gsm>", extra="<validityPeriod>01:00</validityPeriod>"),
        sms("<gsm>905321112233</gsm>", extra="<sender>X</sender>"),  # not the document's
        sms("<gsm>905321112233</gsm>").replace("<mesajiniz>", "<Mesajiniz>", 1),
        sms("<gsm>905321112233</gsm>")
        .replace("<alicilar>", "<Alicilar>")
        .replace("</alicilar>", "</Alicilar>"),
        sms("<gsm>905321112233</gsm>", text="").replace("<metin></metin>", ""),  # no text
        f"<SMS>{auth()}</SMS>",  # no message at all
    ],
    ids=[
        "GSM",
        "messageid",
        "Flash",
        "validityPeriod",
        "sender",
        "Mesajiniz",
        "Alicilar",
        "no-metin",
        "no-mesajiniz",
    ],
)
def test_names_not_in_the_document_and_missing_fields_are_refused(
    served: ServedApp, emulator: KobikomEmulator, xml: str
) -> None:
    (result,) = results(served, xml)
    assert result == {"status": "-22"}
    assert emulator.messages == []


def test_wrong_case_credentials_are_refused(served: ServedApp, emulator: KobikomEmulator) -> None:
    xml = sms("<gsm>905321112233</gsm>", credentials=auth().replace("kullanici", "Kullanici"))
    (result,) = results(served, xml)
    assert result["status"] in ("-10", "-22")
    assert emulator.messages == []


def test_documented_template_quirks(served: ServedApp, emulator: KobikomEmulator) -> None:
    # the template's <tip>, languageCode, empty options and empty <gsm> padding
    xml = (
        f"<SMS>{auth()}<tip>bulk</tip><mesajiniz><baslik>ILETI</baslik><metin>Merhaba</metin>"
        "<flash>1</flash><type></type><wapurl></wapurl><binary></binary><datacoding></datacoding>"
        "<esmclass></esmclass><ileriTarih></ileriTarih><ValidityPeriod></ValidityPeriod>"
        "<nopush></nopush><languageCode>ES</languageCode>"
        "<alicilar><gsm>905329975725</gsm><gsm></gsm><gsm></gsm></alicilar></mesajiniz></SMS>"
    )
    (result,) = results(served, xml)
    assert result["status"] == "0"
    assert result["messageid"]  # a Kobikom-made id when the client gives none
    assert len(emulator.messages) == 1


def test_billing_and_recording(served: ServedApp, emulator: KobikomEmulator) -> None:
    text = "x" * 161  # two GSM-7 parts
    xml = sms(
        '<gsm messageId="a">905321112233</gsm>',
        '<gsm messageId="b">905321112234</gsm>',
        text=text,
        extra="<type>longSMS</type><datacoding>0</datacoding>",
    )
    assert [r["status"] for r in results(served, xml)] == ["0", "0"]
    assert emulator.credit == Decimal(1000) - 2 * 2 * KobikomEmulator.price_per_part
    assert [(m.parts, m.text, m.wire_encoding, m.client_ref) for m in emulator.messages] == [
        (2, text, "0", "a"),
        (2, text, "0", "b"),
    ]


@pytest.mark.parametrize(
    ("extra", "text"),
    [
        ("", "x" * 161),  # two parts without type=longSMS
        ("<type>longSMS</type>", "x" * (153 * 6 + 1)),  # over six parts
        ("<datacoding>0</datacoding>", "şule"),  # datacoding 0 cannot carry ş
        ("<datacoding>7</datacoding>", "x"),
        ("<flash>2</flash>", "x"),
        ("<type>bookmark</type>", "x"),
        ("<ValidityPeriod>24h</ValidityPeriod>", "x"),
        ("", ""),
    ],
)
def test_content_refusals_answer_22(served: ServedApp, extra: str, text: str) -> None:
    (result,) = results(
        served, sms('<gsm messageId="a">905321112233</gsm>', text=text, extra=extra)
    )
    assert result == {"status": "-22"}


def test_ucs2_counting(served: ServedApp, emulator: KobikomEmulator) -> None:
    text = "ş" * 71  # two UCS-2 parts
    xml = sms(
        '<gsm messageId="a">905321112233</gsm>',
        text=text,
        extra="<type>longSMS</type><datacoding>8</datacoding>",
    )
    assert results(served, xml)[0]["status"] == "0"
    assert emulator.messages[0].parts == 2


@pytest.mark.parametrize(
    ("credentials", "code"),
    [
        (auth(password="wrong"), "-5"),
        (auth(user="someone"), "-5"),
        (auth(user=""), "-10"),
        (auth(password=""), "-11"),
        ("", "-10"),
    ],
)
def test_authentication_codes(served: ServedApp, credentials: str, code: str) -> None:
    xml = sms('<gsm messageId="a">905321112233</gsm>', credentials=credentials)
    assert results(served, xml) == [{"status": code}]


@pytest.mark.parametrize("root", ["basliklar", "bakiye"])
def test_senders_and_balance_errors_use_their_root(served: ServedApp, root: str) -> None:
    assert post(served, f"<{root}>{auth(password='x')}</{root}>") == {root: {"status": "-5"}}


@pytest.mark.parametrize(
    "body",
    [b"XML=%3CSMS%3E%3Cunclosed", b"<SMS><a></b></SMS>", b"<unknown/>", b"", b"\xff\xfe"],
)
def test_unreadable_documents_answer_22(served: ServedApp, body: bytes) -> None:
    status, _, text = request(served, body)
    assert status == 200
    assert xmltodict.parse(text) == {"results": {"result": {"status": "-22"}}}


def test_two_message_blocks_answer_22(served: ServedApp) -> None:
    block = "<mesajiniz><metin>x</metin><alicilar><gsm>905321112233</gsm></alicilar></mesajiniz>"
    assert results(served, f"<SMS>{auth()}{block}{block}</SMS>") == [{"status": "-22"}]


def test_numbers(served: ServedApp, emulator: KobikomEmulator) -> None:
    xml = sms(
        '<gsm messageId="ok">905321112233</gsm>',
        '<gsm messageId="land">902121112233</gsm>',
        '<gsm messageId="abroad">4915112345678</gsm>',
        '<gsm messageId="junk">+90 532</gsm>',
    )
    assert [(r["status"], r["messageid"]) for r in results(served, xml)] == [
        ("0", "ok"),
        ("-13", "land"),
        ("-3", "abroad"),
        ("-13", "junk"),
    ]
    assert emulator.credit == Decimal(1000) - KobikomEmulator.price_per_part  # only one billed
    assert results(served, sms("<gsm></gsm>")) == [{"status": "-6"}]


def test_duplicate_message_ids_answer_33(served: ServedApp) -> None:
    first = results(served, sms('<gsm messageId="dup">905321112233</gsm>'))
    assert first[0]["status"] == "0"
    again = sms(
        '<gsm messageId="dup">905321112234</gsm>',
        '<gsm messageId="new">905321112235</gsm>',
        '<gsm messageId="new">905321112236</gsm>',
    )
    assert [r["status"] for r in results(served, again)] == ["-33", "0", "-33"]


@pytest.mark.parametrize(
    ("sender", "code"),
    [
        ("<baslik>ILETI</baslik>", "0"),
        ("", "0"),  # the account's default sender
        ("<baslik>908501112233</baslik>", "0"),
        ("<baslik>BEKLEYEN</baslik>", "-34"),
        ("<baslik>PASIF</baslik>", "-34"),
        ("<baslik>NOBODY</baslik>", "-34"),
    ],
)
def test_sender_states(
    served: ServedApp, emulator: KobikomEmulator, sender: str, code: str
) -> None:
    got = results(served, sms('<gsm messageId="a">905321112233</gsm>', sender=sender))
    assert got[0]["status"] == code
    if code == "0":
        assert emulator.messages[0].sender in ("ILETI", "908501112233")


def test_insufficient_credit(served: ServedApp, emulator: KobikomEmulator) -> None:
    emulator.credit = KobikomEmulator.price_per_part  # enough for one part, not two
    xml = sms('<gsm messageId="a">905321112233</gsm>', '<gsm messageId="b">905321112234</gsm>')
    assert results(served, xml) == [{"status": "-2"}]
    assert emulator.messages == []
    assert emulator.credit == KobikomEmulator.price_per_part


def test_senders_and_balance(served: ServedApp, emulator: KobikomEmulator) -> None:
    listed = post(served, f"<basliklar>{auth()}</basliklar>")["basliklar"]
    assert listed["normal"]["baslik"] == ["ILETI"]
    assert listed["sayisal"]["baslik"] == ["908501112233"]
    emulator.credit = Decimal("18.532")
    assert post(served, f"<bakiye>{auth()}</bakiye>") == {
        "bakiye": {"miktar": "18.532", "kur": "TRY"}
    }


@pytest.mark.parametrize("offset", ["tomorrow", "4d3h2m1", "1h4d", "d"])
def test_bad_schedule_answers_27(served: ServedApp, offset: str) -> None:
    xml = sms('<gsm messageId="a">905321112233</gsm>', extra=f"<ileriTarih>{offset}</ileriTarih>")
    assert results(served, xml) == [{"status": "-27"}]


def test_states_follow_the_clock_and_each_report_comes_once(
    served: ServedApp, emulator: KobikomEmulator, clock: VirtualClock
) -> None:
    xml = sms('<gsm messageId="a">905321112233</gsm>', '<gsm messageId="b">905321112239</gsm>')
    results(served, xml)

    def statuses(text: str) -> dict[str, str]:
        parsed = xmltodict.parse(text, force_list=("message",))
        return {m["@id"]: m["@status"] for m in parsed["DeliveryReport"]["message"]}

    assert statuses(pull(served)) == {"a": "NOT_SENT", "b": "NOT_SENT"}
    assert pull(served) == "NO_DATA"
    clock.advance(10)
    assert statuses(pull(served, MessageId="a")) == {"a": "SENT"}  # the filter drains only a
    assert statuses(pull(served, messageid="b")) == {"b": "SENT"}  # any spelling of the name
    clock.advance(50)
    assert statuses(pull(served)) == {"a": "DELIVERED", "b": "NOT_DELIVERED"}
    assert pull(served) == "NO_DATA"
    clock.advance(3600)
    assert pull(served) == "NO_DATA"  # final states never change
    assert emulator.state_of("b") == "NOT_DELIVERED"


def test_report_dates_are_unpadded_istanbul_time(served: ServedApp, clock: VirtualClock) -> None:
    results(served, sms('<gsm messageId="a">905321112233</gsm>'))
    clock.advance(60)
    message = xmltodict.parse(pull(served))["DeliveryReport"]["message"]
    done = clock.now().astimezone(__import__("zoneinfo").ZoneInfo("Europe/Istanbul"))
    assert message["@donedate"] == (
        f"{done.year}/{done.month}/{done.day} {done.hour}:{done.minute}:{done.second}"
    )
    assert message["@gsmerror"] == "0"


def test_scheduled_message_reports_nothing_until_its_time(
    served: ServedApp, emulator: KobikomEmulator, clock: VirtualClock
) -> None:
    xml = sms('<gsm messageId="a">905321112233</gsm>', extra="<ileriTarih>1h30m</ileriTarih>")
    results(served, xml)
    assert emulator.state_of("a") == "scheduled"
    assert pull(served) == "NO_DATA"
    clock.advance(90 * 60 - 1)
    assert pull(served) == "NO_DATA"
    clock.advance(1)
    assert "NOT_SENT" in pull(served)
    clock.advance(60)
    assert emulator.state_of("a") == "DELIVERED"


def test_one_second_means_now(served: ServedApp, emulator: KobikomEmulator) -> None:
    results(
        served, sms('<gsm messageId="a">905321112233</gsm>', extra="<ileriTarih>1s</ileriTarih>")
    )
    assert emulator.state_of("a") == "NOT_SENT"


@pytest.mark.parametrize(
    ("params", "answer"),
    [
        ({"kullanici": USER, "parola": "wrong"}, "5"),
        ({"parola": PASSWORD}, "10"),
        ({"kullanici": USER}, "11"),
        ({"KULLANICI": USER, "PAROLA": "wrong"}, "5"),
    ],
)
def test_pull_errors_are_plain_unsigned_codes(
    served: ServedApp, params: dict[str, str], answer: str
) -> None:
    status, _content_type, text = request(served, path="/api/sendsms/xml/pull?" + urlencode(params))
    assert (status, text) == (200, answer)


def test_pull_ignores_filter_knob(served: ServedApp, emulator: KobikomEmulator) -> None:
    results(
        served,
        sms('<gsm messageId="a">905321112233</gsm>', '<gsm messageId="b">905321112234</gsm>'),
    )
    emulator.pull_ignores_filter = True
    text = pull(served, MessageId="a")
    assert 'id="a"' in text
    assert 'id="b"' in text


def test_a_pull_without_ids_looks_only_at_messages_whose_status_changed(
    served: ServedApp, emulator: KobikomEmulator, clock: VirtualClock
) -> None:
    """Work is counted, not timed: a pull examines the messages due a change,
    never every message sent before; reports come in sending order, once each."""
    for i in range(40):
        results(served, sms(f'<gsm messageId="m{i}">90532111{i:04d}</gsm>'))
        pulled = pull(served)
        assert f'id="m{i}"' in pulled  # NOT_SENT, at once
        clock.advance(5)
    # 40 messages 5 s apart: one pull at most sees those whose 10 s or 60 s came
    before = emulator.examined
    text = pull(served)
    assert emulator.examined - before <= 3
    assert text.count("<message") == emulator.examined - before
    clock.advance(600)
    before = emulator.examined
    ids = [m.split('"')[0] for m in pull(served).split('id="')[1:]]
    assert emulator.examined - before <= 40
    assert ids == sorted(ids, key=lambda i: int(i[1:]))  # in sending order
    before = emulator.examined
    assert pull(served) == "NO_DATA"
    assert emulator.examined == before  # nothing due: nothing looked at


@pytest.mark.parametrize("code", sorted(KobikomEmulator.documented_errors))
def test_forced_errors(served: ServedApp, emulator: KobikomEmulator, code: str) -> None:
    emulator.force_error(code)
    assert results(served, sms('<gsm messageId="a">905321112233</gsm>')) == [{"status": code}]
    emulator.force_error(code)
    assert post(served, f"<bakiye>{auth()}</bakiye>") == {"bakiye": {"status": code}}
    emulator.force_error(code)
    expected = {"-5": "5", "-10": "10", "-11": "11"}.get(code, code)
    assert pull(served) == expected
    assert emulator.messages == []
