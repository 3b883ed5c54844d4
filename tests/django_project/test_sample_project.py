"""The sample project through Django's test client: the outbox by a setting,
the emulator over loopback, an async view, and settings errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ileti_django
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client as DjangoClient
from django.test import override_settings

import ileti
from ileti.testing import emulated

OUTBOX = {"PROVIDER": "outbox"}


@pytest.fixture
def outbox() -> Iterator[Any]:
    box = ileti_django.outbox()
    box.clear()
    with override_settings(ILETI=OUTBOX):
        yield box
    box.clear()


@pytest.mark.parametrize("url", ["/orders/7/shipped", "/orders/7/shipped-async"])
def test_the_outbox_in_tests(outbox: Any, url: str) -> None:
    response = DjangoClient().post(url, {"phone": "0532 111 22 33"})
    assert response.status_code == 200, response.content
    assert json.loads(response.content)["accepted"] == ["+905321112233"]
    [sms] = outbox.sent
    assert sms.text == "Siparişiniz 7 kargoya verildi."
    assert ileti_django.get_client().provider == "outbox"


def test_a_bad_number_is_refused_before_sending(outbox: Any) -> None:
    response = DjangoClient().post("/orders/7/shipped", {"phone": "123"})
    assert response.status_code == 400
    assert "invalid phone number" in json.loads(response.content)["error"]
    assert outbox.sent == []


def test_through_the_emulator_over_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    with emulated("efecell") as em:
        options = {"base_url": em.base_url, "sender": "ILETI", **em.emulator.credentials()}
        with override_settings(ILETI={"PROVIDER": "efecell", "OPTIONS": options}):
            response = DjangoClient().post("/orders/9/shipped", {"phone": "05321112233"})
            assert response.status_code == 200, response.content
            client = ileti_django.get_client()
            assert client is ileti_django.get_client()  # one per process
            assert client.provider == "efecell"
        assert [m.text for m in em.emulator.messages] == ["Siparişiniz 9 kargoya verildi."]
    monkeypatch.setenv("ILETI_PROVIDER", "outbox")
    assert ileti_django.get_client().provider == "outbox"  # remade when the setting changed


def test_the_provider_from_the_environment(outbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ILETI_PROVIDER", "outbox")
    with override_settings(ILETI={}):
        assert ileti_django.get_client().provider == "outbox"
    # the real gateway's options stay in the settings; the outbox ignores them
    with override_settings(ILETI={"OPTIONS": {"sender": "ILETI", "api_key": "k"}}):
        ileti_django.get_client().send("05321112233", "x")
    assert outbox.sent[0].text == "x"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("efecell", "must be a dict"),
        ({"PROVIDR": "efecell"}, "unknown keys PROVIDR"),
        ({"PROVIDER": "outbox", "OPTIONS": 3}, "OPTIONS'] must be a dict"),
        ({}, r"set settings.ILETI\['PROVIDER'\]"),
    ],
)
def test_settings_errors_say_what_to_fix(
    value: object, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ILETI_PROVIDER", raising=False)
    monkeypatch.setenv("ILETI_CONFIG", "/nonexistent/config.toml")
    with override_settings(ILETI=value), pytest.raises(ImproperlyConfigured, match=message):
        ileti_django.get_client()


def test_a_missing_credential_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ILETI_EFECELL_API_KEY", raising=False)
    monkeypatch.setenv("ILETI_CONFIG", "/nonexistent/config.toml")
    with (
        override_settings(ILETI={"PROVIDER": "efecell"}),
        pytest.raises(ileti.ConfigurationError, match="api_key"),
    ):
        ileti_django.get_client()


def test_pushed_reports_reach_the_application(tmp_path: Path) -> None:
    """The whole loop: Django served on loopback, Kobikom's emulator pushing
    each state change to the project's push view."""
    from django.core.wsgi import get_wsgi_application
    from shop import reports

    from ileti.emulation import serve
    from ileti.push import new_token

    reports.received.clear()
    token = new_token()
    with emulated("kobikom") as em, serve(get_wsgi_application()) as site:
        options = {
            "base_url": em.base_url,
            "report_store": str(tmp_path / "reports.sqlite3"),
            "push_url": f"{site.base_url}/sms/push/{token}",
            **em.emulator.credentials(),
        }
        conf = {"PROVIDER": "kobikom", "OPTIONS": options, "PUSH_TOKEN": token}
        with override_settings(ILETI=conf):
            sent = ileti_django.get_client().send(["05321112233", "05321112239"], "Merhaba")
            em.emulator.clock.advance(3600)
            assert em.emulator.push_reports() == 2
            wrong = DjangoClient().post(f"/sms/push/{new_token()}", b"", content_type="text/xml")
            assert wrong.status_code == 404
    states = {r.number: r.state.value for report in reports.received for r in report.recipients}
    assert states == {"+905321112233": "delivered", "+905321112239": "undelivered"}
    assert {r.message_id for r in reports.received} == {sent.message_id}


def test_push_view_needs_a_token(outbox: Any) -> None:
    with pytest.raises(ImproperlyConfigured, match="PUSH_TOKEN"):
        DjangoClient(raise_request_exception=True).post("/sms/push/x", b"", content_type="text/xml")
