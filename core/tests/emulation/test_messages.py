"""EmulatorRequest, EmulatorResponse and EmulatedMessage without a server."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from ileti.emulation import BadRequest, EmulatedMessage, EmulatorRequest, EmulatorResponse


def test_json_response() -> None:
    response = EmulatorResponse.json({"ok": True, "ş": Decimal("1.25"), "n": Decimal("3")}, 201)
    assert response.status == 201
    assert response.header("CONTENT-TYPE") == "application/json; charset=utf-8"
    assert json.loads(response.body) == {"ok": True, "ş": 1.25, "n": 3}
    assert b"3.0" not in response.body
    with pytest.raises(TypeError, match="set is not JSON serialisable"):
        EmulatorResponse.json({"bad": {1}})


def test_text_and_xml_responses() -> None:
    text = EmulatorResponse.text("çok", status=503, headers=[("Retry-After", "3")])
    assert (text.status, text.body) == (503, "çok".encode())
    assert text.header("content-type") == "text/plain; charset=utf-8"
    assert text.header("retry-after") == "3"
    latin = EmulatorResponse.text(
        "ş", content_type="text/plain; charset=iso-8859-9", encoding="iso-8859-9"
    )
    assert latin.body == b"\xfe"
    xml = EmulatorResponse.xml("<a/>", status=400)
    assert (xml.status, xml.body, xml.header("content-type")) == (400, b"<a/>", "application/xml")
    assert xml.header("x-missing") is None


def test_request_text_follows_the_declared_charset() -> None:
    request = EmulatorRequest(
        "POST", "/", headers={"content-type": "text/plain; charset=ISO-8859-9"}, body=b"\xfe"
    )
    assert request.text() == "ş"
    assert request.text("latin-1") == "þ"
    with pytest.raises(BadRequest, match="not valid utf-8"):
        EmulatorRequest("POST", "/", body=b"\xfe").text()
    with pytest.raises(BadRequest, match="unknown charset"):
        EmulatorRequest(
            "POST", "/", headers={"content-type": "text/plain; charset=nope"}, body=b"x"
        ).text()


def test_request_form_and_json() -> None:
    form = EmulatorRequest(
        "POST",
        "/",
        headers={"content-type": "application/x-www-form-urlencoded; charset=iso-8859-9"},
        body=b"msg=%FEey&to=1&to=2",
    )
    assert form.form() == {"msg": ["şey"], "to": ["1", "2"]}
    assert form.form_arg("to") == "1"
    assert form.form_arg("nope") is None
    with pytest.raises(BadRequest):
        EmulatorRequest("POST", "/", body=b"msg=%FE").form()
    with pytest.raises(BadRequest, match="not valid JSON"):
        EmulatorRequest("POST", "/", body=b"{'single': 1}").json()
    assert EmulatorRequest("POST", "/", body=b'{"a": [1]}').json() == {"a": [1]}
    assert EmulatorRequest("GET", "/").content_type is None


def test_emulated_message_checks_recipient_and_parts() -> None:
    message = EmulatedMessage("p1", "+905551112233", "hi", None, 2, "ACME", client_ref="r1")
    assert message.client_ref == "r1"
    for bad in ("905551112233", "+0555", "+90 555 111 22 33", ""):
        with pytest.raises(ValueError, match=r"E\.164"):
            EmulatedMessage("p1", bad, "hi", None, 1, None)
    for parts in (0, -1, True):
        with pytest.raises(ValueError, match="positive int"):
            EmulatedMessage("p1", "+905551112233", "hi", None, parts, None)
