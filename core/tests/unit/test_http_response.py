"""The one answer sniffer plugins share: ``HttpResponse.unreadable``."""

from __future__ import annotations

import pytest

from ileti.errors import MalformedResponse
from ileti.http import HttpResponse


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head></html>",
        b"  \n<!doctype HTML><title>Giris</title>",
        b"<HTML><body>Login</body></HTML>",
        b"<?xml version='1.0'?><html xmlns='http://www.w3.org/1999/xhtml'/>",
    ],
)
def test_an_html_page_is_named_as_such(body: bytes) -> None:
    response = HttpResponse(200, {}, body, provider="acme")
    assert response.looks_like_html()
    error = response.unreadable("well-formed XML")
    assert isinstance(error, MalformedResponse)
    assert error.message.startswith("the answer is an HTML page")
    with pytest.raises(MalformedResponse, match="the answer is an HTML page"):
        response.json()


@pytest.mark.parametrize(
    ("body", "expected", "said"),
    [
        (b"<Response><Code>1</Code></Response>", "JSON", "the answer is not JSON"),
        (b"OK", "JSON", "the answer is not JSON"),
        (b'{"a": 1', "JSON", "the answer is not JSON"),
        (b"<Response><Code>1</Code>", "well-formed XML", "the answer is not well-formed XML"),
        (b"x" * 2000 + b"<html>", "JSON", "the answer is not JSON"),  # not near the start
    ],
)
def test_anything_else_is_named_by_what_was_expected(body: bytes, expected: str, said: str) -> None:
    response = HttpResponse(200, {}, body, provider="acme")
    assert not response.looks_like_html()
    assert response.unreadable(expected).message.startswith(said)
    if expected == "JSON":
        with pytest.raises(MalformedResponse, match=said):
            response.json()
