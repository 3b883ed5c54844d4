from __future__ import annotations

import base64
import json
import logging
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ileti.redact import MASK, Redactor, install_log_filters, register_secrets


@given(st.text(min_size=3, max_size=40).filter(lambda s: s.strip() == s and len(s.strip()) >= 3))
def test_every_wire_form_is_masked(secret: str) -> None:
    r = Redactor([secret])
    forms = [
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        base64.b64encode(secret.encode()).decode(),
    ]
    for form in forms:
        assert form not in r.text(f"before {form} after")


def test_sensitive_fields_and_headers() -> None:
    r = Redactor([])
    assert "hunter2" not in r.text("https://x/api?user=a&password=hunter2&x=1")
    assert "hunter2" not in r.text('{"Password": "hunter2"}')
    assert "hunter2" not in r.text("<parola>hunter2</parola>")
    assert r.headers({"Authorization": "Key abc", "Accept": "x"}) == {
        "Authorization": MASK,
        "Accept": "x",
    }


def test_urllib3_log_records_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    secret = "Zz-canary-9981"
    register_secrets([secret])
    install_log_filters()
    logger = logging.getLogger("urllib3.connectionpool")
    with caplog.at_level(logging.DEBUG, logger="urllib3"):
        logger.debug(
            '%s://%s:%s "%s %s %s" %s', "http", "h", 80, "GET", f"/p?k={secret}", "1.1", 200
        )
    assert caplog.records
    assert all(secret not in r.getMessage() for r in caplog.records)


def test_error_excerpts_are_redacted() -> None:
    from ileti.errors import excerpt
    from ileti.http import HttpResponse

    secret = "Echoed-canary-7731"
    register_secrets([secret])
    body = f'{{"echo": {{"username": "u", "password": "{secret}"}}, "error": "bad"}}'.encode()
    assert secret not in (excerpt(body) or "")
    assert secret not in str(HttpResponse(400, body=body).malformed("odd"))
