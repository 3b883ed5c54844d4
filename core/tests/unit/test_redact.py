from __future__ import annotations

import base64
import json
import logging
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ileti.redact import MASK, Redactor, install_log_filters, register_secrets


@settings(deadline=None)  # building a redactor compiles a regex: load-dependent
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


# -- every composition of the wire's encodings, for every printable secret ----------

# printable characters of every script, with the ones our wire formats escape
# and the Turkish letters drawn often
_TRICKY = "&<>\"'%+=;:/?#\\ çğıİöşüÇĞÖŞÜ₺€"
printable = st.one_of(
    st.sampled_from(_TRICKY),
    st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn")),
)
#: a secret with a distinct head and tail, so that a part of it shows as well
secrets_ = st.text(printable, min_size=1, max_size=24).map(lambda s: f"Hq7K{s}Zx4W")


def _leaks(secret: str, text: str) -> bool:
    return "Hq7K" in text or "Zx4W" in text or secret in text


@settings(deadline=None)  # building a redactor compiles a regex: load-dependent
@given(secrets_)
def test_xml_escaped_then_url_encoded_is_masked(secret: str) -> None:
    # Kobikom's form body: XML (xmltodict, & < > escaped) as the XML= form field
    from urllib.parse import urlencode

    import xmltodict

    xml = xmltodict.unparse({"MainReportRoot": {"UserName": "u", "PassWord": secret}})
    for text in (xml, urlencode({"XML": xml}), json.dumps({"xml": xml})):
        assert not _leaks(secret, Redactor([secret]).text(f"sent {text} at -vv"))


@settings(deadline=None)  # building a redactor compiles a regex: load-dependent
@given(secrets_)
def test_json_inside_xml_and_xml_attributes_are_masked(secret: str) -> None:
    from xml.sax.saxutils import escape, quoteattr

    forms = [
        escape(json.dumps({"password": secret})),
        escape(json.dumps({"password": secret}, ensure_ascii=False)),
        f"<a p={quoteattr(secret)}/>",
        __import__("html").escape(secret),
        json.dumps(escape(secret)),
    ]
    r = Redactor([secret])
    for form in forms:
        assert not _leaks(secret, r.text(form)), form


@settings(deadline=None)  # building a redactor compiles a regex: load-dependent
@given(st.text(printable, min_size=0, max_size=12), secrets_)
def test_base64_of_user_and_password_is_masked(user: str, secret: str) -> None:
    pair = base64.b64encode(f"{user}:{secret}".encode()).decode()
    shown = Redactor([secret]).text(pair)
    assert shown.count(MASK) == 1
    # visible: the user's part, and at most a character either side of the
    # password (bits shared with its neighbours) plus the padding
    visible = len(shown) - len(MASK)
    assert visible <= -(-(len(user.encode()) + 1) * 4 // 3) + 4


_ECHOED = ["Hq7K-echoed-key-Zx4W", "Hq7Kpa&ss<ş>\"'Zx4W", "Hq7K çok gizli Zx4W"]


@settings(deadline=None)  # building a redactor compiles a regex: load-dependent
@given(
    st.sampled_from(_ECHOED),
    # around 4 KB (where the old cut fell) and anywhere else
    st.one_of(st.integers(4040, 4100), st.integers(0, 10_000)),
    st.sampled_from([" ", "x", "\n", "ğ"]),
)
def test_an_excerpt_redacts_before_it_cuts(secret: str, padding: int, pad: str) -> None:
    # a gateway echoing the key after kilobytes of padding: whitespace padding is
    # squeezed out of the excerpt, so a cut made before redaction showed the key
    from ileti.errors import excerpt

    register_secrets(_ECHOED)
    body = pad * padding + f"echo: key {secret} ok"
    for value in (body, body.encode()):
        shown = excerpt(value) or ""
        assert not _leaks(secret, shown), shown


@given(st.text(), st.dictionaries(st.sampled_from(['"', "'", "\n"]), st.text(max_size=5)))
def test_xml_escape_is_saxutils_escape(text: str, entities: dict[str, str]) -> None:
    from xml.sax.saxutils import escape as sax_escape

    from ileti.redact import escape

    assert escape(text, entities) == sax_escape(text, entities)


def test_redact_does_not_import_xml() -> None:
    import subprocess
    import sys

    code = "import sys, ileti.redact; print('xml' in sys.modules, 'urllib.request' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


class _Owner:
    """Something that holds secrets: a client, a transport, a login."""


def _masked(secret: str) -> bool:
    from ileti.redact import redact

    return secret not in redact(f"[{secret}]")


def test_an_owners_secrets_are_masked_while_it_lives_and_released_after() -> None:
    import gc

    one, two = _Owner(), _Owner()
    shared, own = "Shared-canary-5120", "Only-one-canary-5121"
    register_secrets([shared, own], owner=one)
    register_secrets([shared], owner=two)
    assert _masked(shared)
    assert _masked(own)
    del one
    gc.collect()
    assert not _masked(own), "the gone owner's secret is still kept"
    assert _masked(shared), "a secret another live owner holds was released"
    del two
    gc.collect()
    assert not _masked(shared)


def test_a_secret_registered_without_an_owner_stays() -> None:
    import gc

    owner = _Owner()
    secret = "Forever-canary-5122"
    register_secrets([secret])
    register_secrets([secret], owner=owner)
    del owner
    gc.collect()
    assert _masked(secret)


def test_clients_made_and_dropped_do_not_grow_the_registry() -> None:
    """A server that makes a client per tenant keeps only the live ones' secrets."""
    import gc

    import ileti
    from ileti import redact as module

    gc.collect()
    before = len(module._built)
    keys = [f"Tenant-{n}-canary-5123" for n in range(30)]
    for key in keys:
        client = ileti.Client("testprov", api_key=key)
        client.transport  # noqa: B018 (the transport registers the credentials)
        assert _masked(key)
        client.close()
        del client
    gc.collect()
    assert len(module._built) <= before  # (fewer if an earlier test's owner went meanwhile)
    assert not any(_masked(key) for key in keys)
