"""The suite catches deliberately broken FakeSMS variants.

Each case runs the relevant checks with pytester on the well-behaved plugin
and on a broken variant, side by side, and asserts that exactly the expected
checks fail, and only for the broken one.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

INNER = """
from ileti_conformance import ProviderConformance
from ileti_fakesms import VARIANTS


class TestGood(ProviderConformance):
    provider = "fakesms"
    plugin = VARIANTS["good"]


class TestBroken(ProviderConformance):
    provider = "fakesms"
    plugin = VARIANTS[{variant!r}]
"""


def run(
    pytester: pytest.Pytester, variant: str, select: str, *, some_pass: bool = True
) -> tuple[set[str], str]:
    """Run the checks matching ``select``; the failed tests and the report text."""
    pytester.makepyfile(test_inner=INNER.format(variant=variant))
    rec = pytester.inline_run("-k", select, "-p", "no:cacheprovider", "-p", "no:randomly")
    passed, _skipped, failed = rec.listoutcomes()
    assert passed or not some_pass, "nothing passed: the selection ran no check"
    assert passed or failed, "the selection ran no check"
    names = {r.nodeid.split("::", 1)[1] for r in failed}
    text = "\n".join(str(r.longrepr) for r in failed)
    return names, text


def test_replaying_a_timed_out_send_is_caught(pytester: pytest.Pytester) -> None:
    failed, text = run(pytester, "replaying", "test_send_fault or documented_errors")
    replayed = {
        f"TestBroken::test_send_fault[{fault}]"
        for fault in (
            "hang", "reset", "http_500", "http_503", "html", "truncated", "close", "drip",
            "redirect",
        )
    }  # fmt: skip
    # a garbage 200 reaches the plugin as an answer (no DeliveryUnknown to retry on);
    # the documented E500 error (HTTP 500 on a send) is replayed too
    assert failed == replayed | {"TestBroken::test_documented_errors_map_to_typed_errors"}
    assert "saw 2 requests for one send after a hang fault" in text
    assert "must never be replayed" in text


def test_a_password_in_a_log_record_is_caught(pytester: pytest.Pytester) -> None:
    failed, text = run(pytester, "leaky", "canary")
    assert failed == {"TestBroken::test_canary_credentials_never_leak"}
    assert "log record of 'fakesms.debug' at DEBUG shows the password canary" in text
    assert "pw-canary-7f3a9c2e" not in text.replace("<password canary>", "")


def test_miscounted_parts_are_caught(pytester: pytest.Pytester) -> None:
    failed, text = run(
        pytester, "miscounting", "boundary or wire_match or over_limit or batch or round_trip"
    )
    assert {
        "TestBroken::test_parts_at_every_boundary",
        "TestBroken::test_text_parts_and_wire_match_billing",
    } <= failed
    assert failed <= {
        "TestBroken::test_parts_at_every_boundary",
        "TestBroken::test_text_parts_and_wire_match_billing",
        "TestBroken::test_batch_parts_match_billing",
    }
    assert "the plugin predicts 3 part(s) in gsm7 (307 units) but its emulator billed 2" in text


def test_a_raw_key_error_on_garbage_is_caught(pytester: pytest.Pytester) -> None:
    failed, text = run(pytester, "keyerror", "garbage")
    assert failed == {"TestBroken::test_garbage_answers_raise_only_ileti_errors"}
    assert "the plugin's balance hook raised" in text
    assert "a plugin must raise IletiError itself" in text


def test_a_final_state_that_changes_is_caught(pytester: pytest.Pytester) -> None:
    failed, text = run(pytester, "flipflop", "query_report or reported")
    assert failed == {"TestBroken::test_query_report_round_trip"}
    assert "was final (delivered) and became undelivered" in text


def test_a_password_not_declared_secret_is_caught(pytester: pytest.Pytester) -> None:
    failed, text = run(pytester, "plainpassword", "canary")
    assert failed == {"TestBroken::test_canary_credentials_never_leak"}
    assert "none of the credentials ['password', 'username'] is declared as ileti.Secret" in text


def test_urllib3_debug_lines_are_searched(pytester: pytest.Pytester) -> None:
    """With the core's redaction taken off urllib3's loggers, the well-behaved
    plugin's reads (credentials in the query string) leak through urllib3's
    DEBUG lines, and the secrets check must see it."""
    pytester.makeconftest(
        """
        import logging
        import pytest
        from ileti import redact

        @pytest.fixture(autouse=True)
        def no_urllib3_redaction(monkeypatch):
            redact.install_log_filters()
            for name in redact._LOGGERS:
                if name.startswith("urllib3"):
                    logger = logging.getLogger(name)
                    monkeypatch.setattr(logger, "filters", [])
        """
    )
    failed, text = run(pytester, "good", "canary", some_pass=False)
    assert failed == {
        "TestGood::test_canary_credentials_never_leak",
        "TestBroken::test_canary_credentials_never_leak",
    }
    assert "log record of 'urllib3.connectionpool' at DEBUG shows the password canary" in text


def test_sender_names_read_from_a_portal_page_are_caught(pytester: pytest.Pytester) -> None:
    failed, text = run(pytester, "linereading", "readable_junk_to_a_read or senders_round_trip")
    assert failed == {"TestBroken::test_readable_junk_to_a_read_is_malformed"}
    assert "senders read a junk 200 answer" in text
    assert "as a result: [Sender(name=" in text


def test_a_schedule_lost_by_send_multi_is_caught(pytester: pytest.Pytester) -> None:
    failed, text = run(pytester, "scheduledropping", "schedule_arrives or options_follow")
    assert failed == {"TestBroken::test_schedule_arrives_as_asked"}
    assert "send_multi asked for" in text
    assert "the schedule was lost" in text


def test_a_schedule_in_the_wrong_time_zone_is_caught(pytester: pytest.Pytester) -> None:
    failed, text = run(pytester, "wrongzone", "schedule_arrives")
    assert failed == {"TestBroken::test_schedule_arrives_as_asked"}
    assert "late or in the wrong time zone" in text


def test_an_emulator_that_cannot_report_a_scheduled_message_is_caught(
    pytester: pytest.Pytester,
) -> None:
    failed, text = run(pytester, "schedulenaive", "scheduled_send or query_report_round_trip")
    assert failed == {"TestBroken::test_a_scheduled_send_can_be_reported_on"}
    assert "internal emulator error" in text or "ProviderUnavailable" in text


def test_an_emulator_that_takes_any_credentials_is_caught(pytester: pytest.Pytester) -> None:
    failed, text = run(pytester, "credulous", "refuses_wrong_credentials or send_round_trip")
    assert failed == {"TestBroken::test_emulator_refuses_wrong_credentials"}
    assert "AuthenticationError" in text


def test_junk_read_as_a_refusal_on_a_send_is_caught(pytester: pytest.Pytester) -> None:
    failed, text = run(pytester, "refusalreading", "readable_junk_to_a_send or send_round_trip")
    assert failed == {"TestBroken::test_readable_junk_to_a_send_is_an_unknown_outcome"}
    assert "it may have been sent: raise DeliveryUnknown" in text
