"""``ileti send`` against the testprov emulator over loopback HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ileti.emulation import Fault, FaultProxy, refused_url

TO = ("--to", "0532 111 22 33", "--to", "+90 532 111 22 39")


def sent_bodies(emulator: Any) -> list[dict[str, Any]]:
    return [r.json() for r in emulator.received if r.path == "/send"]


def test_send_prints_the_cost_then_each_recipient(cli: Callable[..., Any], testprov: Any) -> None:
    run = cli("send", "--provider", "testprov", *TO, "--text", "Merhaba dünya")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0].startswith("Cost: 1 part x 2 recipients = 2 credits (encoding gsm7")
    assert "message id P1" in lines[1]
    assert "2 of 2 recipients accepted" in lines[1]
    rows = [line.split() for line in lines[3:5]]
    assert rows == [["+905321112233", "accepted"], ["+905321112239", "accepted"]]
    assert "ileti report --provider testprov P1" in run.out
    assert [m.text for m in testprov.messages] == ["Merhaba dünya"] * 2


def test_send_json(cli: Callable[..., Any], testprov: Any) -> None:
    run = cli("send", "-p", "testprov", *TO, "--text", "şeker", "--json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["preview"]["encoding"] == "ucs2"
    assert doc["preview"]["credits"] == "2"  # amounts are exact decimal strings
    result = doc["result"]
    assert result["message_id"] == "P1"
    assert [r["number"] for r in result["recipients"]] == ["+905321112233", "+905321112239"]
    assert all(r["accepted"] for r in result["recipients"])
    assert result["client_ref"] == sent_bodies(testprov)[0]["ref"]


def test_options_reach_the_wire(cli: Callable[..., Any], testprov: Any) -> None:
    run = cli(
        "send", "-p", "testprov", "--to", "05321112233", "--text", "hi",
        "--sender", "ILETI", "--flash", "--client-ref", "order-17", "--validity", "2h",
    )  # fmt: skip
    assert run.code == 0, run.err
    body = sent_bodies(testprov)[0]
    assert (body["sender"], body["flash"], body["ref"]) == ("ILETI", True, "order-17")


def test_text_from_stdin_drops_one_trailing_newline(cli: Callable[..., Any], testprov: Any) -> None:
    run = cli("send", "-p", "testprov", "--to", "05321112233", stdin="Satır bir\nSatır iki\n")
    assert run.code == 0, run.err
    assert [m.text for m in testprov.messages] == ["Satır bir\nSatır iki"]


def test_text_from_a_file_and_from_dash(
    cli: Callable[..., Any], testprov: Any, tmp_path: Path
) -> None:
    path = tmp_path / "text.txt"
    path.write_text("Dosyadan\r\n", encoding="utf-8")
    assert cli("send", "-p", "testprov", "--to", "05321112233", "--text-file", str(path)).code == 0
    run = cli("send", "-p", "testprov", "--to", "05321112233", "--text-file", "-", stdin="Borudan")
    assert run.code == 0, run.err
    assert [m.text for m in testprov.messages] == ["Dosyadan", "Borudan"]


def test_no_text_on_a_terminal_is_a_usage_error(cli: Callable[..., Any], testprov: Any) -> None:
    run = cli("send", "-p", "testprov", "--to", "05321112233", tty=True)
    assert run.code == 2
    assert "--text" in run.err
    assert testprov.received == []


def test_missing_text_file(cli: Callable[..., Any], testprov: Any, tmp_path: Path) -> None:
    run = cli("send", "-p", "testprov", "--to", "05321112233", "--text-file", str(tmp_path / "x"))
    assert run.code == 3
    assert "cannot read the text file" in run.err
    assert testprov.received == []


def test_dry_run_shows_what_would_be_sent_and_sends_nothing(
    cli: Callable[..., Any], testprov: Any
) -> None:
    run = cli(
        "send", "-p", "testprov", *TO, "--to", "0532 111 22 33", "--text", "Çay ş",
        "--validity", "90m", "--flash", "--dry-run",
    )  # fmt: skip
    assert run.code == 0, run.err
    assert testprov.received == []
    assert "+905321112233, +905321112239" in run.out  # E.164, duplicates dropped
    assert "ucs2 (wire value '16bit')" in run.out
    assert re.search(r"^ +api_key +\*{4} +environment ILETI_TESTPROV_API_KEY$", run.out, re.M)
    assert testprov.KEY not in run.out + run.err


def test_dry_run_json(cli: Callable[..., Any], testprov: Any) -> None:
    run = cli(
        "send", "-p", "testprov", "--to", "05321112233", "--text", "x" * 200,
        "--validity", "1h30m", "--dry-run", "--json",
    )  # fmt: skip
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    message = doc["message"]
    assert doc["dry_run"] is True
    assert message["recipients"] == ["+905321112233"]
    assert (message["encoding"], message["wire_encoding"], message["parts"]) == ("gsm7", "7bit", 2)
    assert message["part_units"] == [153, 47]
    assert message["validity"] == 5400
    assert message["client_ref"] is None
    assert doc["settings"]["api_key"] == {
        "value": "****",
        "source": "environment ILETI_TESTPROV_API_KEY",
    }
    assert testprov.received == []


def test_dry_run_still_validates(cli: Callable[..., Any], testprov: Any) -> None:
    run = cli("send", "-p", "testprov", "--to", "12", "--text", "hi", "--dry-run")
    assert run.code == 3
    assert "invalid phone number '12'" in run.err
    assert "Traceback" not in run.err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--to", "0212 000"), "invalid phone number"),
        (("--to", "05321112233", "--sender", "İLETİ"), "Turkish letters"),
        (("--to", "05321112233", "--schedule", "+1h"), "does not support scheduling"),
        (("--to", "05321112233", "--validity", "2d"), "outside what testprov accepts"),
        (("--to", "05321112233", "--encoding", "klingon"), "klingon"),
    ],
)
def test_invalid_input_exits_3_before_any_request(
    cli: Callable[..., Any], testprov: Any, extra: tuple[str, ...], message: str
) -> None:
    run = cli("send", "-p", "testprov", "--text", "hi", *extra)
    assert run.code == 3, run.err
    assert message in run.err
    assert run.err.startswith("ileti: error: ")
    assert testprov.received == []


def test_too_long_exits_3_before_any_request(cli: Callable[..., Any], testprov: Any) -> None:
    run = cli("send", "-p", "testprov", "--to", "05321112233", "--text", "ş" * 300)
    assert run.code == 3
    assert testprov.received == []


@pytest.mark.parametrize(
    "args",
    [
        ("--validity", "2 hours"),
        ("--validity", "0m"),
        ("--schedule", "tomorrow"),
        ("--schedule", "+"),
    ],
)
def test_malformed_option_values_are_usage_errors(
    cli: Callable[..., Any], testprov: Any, args: tuple[str, ...]
) -> None:
    run = cli("send", "-p", "testprov", "--to", "05321112233", "--text", "hi", *args)
    assert run.code == 2
    assert testprov.received == []


@pytest.mark.parametrize(
    ("code", "exit_code"),
    # a sender the gateway refuses is invalid input (InvalidSender, a ValidationError)
    [("auth", 4), ("credit", 4), ("sender", 3)],
)
def test_provider_refusal_exits_4(
    cli: Callable[..., Any], testprov: Any, code: str, exit_code: int
) -> None:
    testprov.force_error(code)
    run = cli("send", "-p", "testprov", "--to", "05321112233", "--text", "hi")
    assert run.code == exit_code, run.err
    assert "ileti: error: [testprov]" in run.err
    assert "Traceback" not in run.err
    assert testprov.messages == []


def test_delivery_unknown_exits_5_and_says_how_to_check(
    cli: Callable[..., Any], testprov: Any, served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FaultProxy(served.base_url) as proxy:
        monkeypatch.setenv("ILETI_TESTPROV_BASE_URL", proxy.base_url)
        proxy.set_faults(Fault.RESET)
        run = cli(
            "send", "-p", "testprov", "--to", "05321112233", "--text", "hi", "--client-ref", "r-42"
        )
    assert run.code == 5, run.err
    assert "client reference r-42" in run.err
    # testprov is given the reference, so its panel can find it
    assert "client reference r-42 in testprov's panel" in run.err
    assert "do not send it again blindly" in run.err
    assert "ileti report --provider testprov" in run.err
    assert "Traceback" not in run.err


def test_transport_failure_exits_6(
    cli: Callable[..., Any], testprov: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ILETI_TESTPROV_BASE_URL", refused_url())
    run = cli("send", "-p", "testprov", "--to", "05321112233", "--text", "hi", "--timeout", "2")
    assert run.code == 6, run.err
    assert "nothing was sent" in run.err
    assert testprov.received == []


def test_missing_credentials_exit_3_naming_the_variable(
    cli: Callable[..., Any], served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ILETI_TESTPROV_BASE_URL", served.base_url)
    run = cli("send", "-p", "testprov", "--to", "05321112233", "--text", "hi")
    assert run.code == 3
    assert "ILETI_TESTPROV_API_KEY" in run.err


def test_unknown_provider_exits_3(cli: Callable[..., Any]) -> None:
    run = cli("send", "-p", "nosuchgateway", "--to", "05321112233", "--text", "hi")
    assert run.code == 3
    assert "no provider named 'nosuchgateway'" in run.err


def test_provider_from_ileti_provider(
    cli: Callable[..., Any], testprov: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ILETI_PROVIDER", "testprov")
    assert cli("send", "--to", "05321112233", "--text", "hi").code == 0
    assert len(testprov.messages) == 1


def test_no_provider_is_a_usage_error(cli: Callable[..., Any]) -> None:
    run = cli("send", "--to", "05321112233", "--text", "hi")
    assert run.code == 2
    assert "--provider" in run.err


def test_send_through_the_script(script: Callable[..., Any], testprov: Any) -> None:
    run = script("send", "-p", "testprov", "--to", "05321112233", "--json", stdin="Merhaba\n")
    assert run.code == 0, run.err
    assert json.loads(run.out)["result"]["recipients"][0]["accepted"] is True
    assert [m.text for m in testprov.messages] == ["Merhaba"]


def test_the_default_encoding_setting_and_encoding_option(
    cli: Callable[..., Any], testprov: Any
) -> None:
    args = ("send", "-p", "testprov", "--to", "05321112233", "--text", "abc")
    assert cli(*args, "--set", "default_encoding=ucs2").code == 0
    assert cli(*args, "--set", "default_encoding=ucs2", "--encoding", "gsm7").code == 0
    assert [b["enc"] for b in sent_bodies(testprov)] == ["16bit", "7bit"]
    run = cli(*args, "--set", "default_encoding=klingon")
    assert run.code == 3
    assert "default_encoding" in run.err


def test_send_json_gives_credits_as_strings_in_preview_and_result(
    cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ileti.testing import serve_emulator

    running = serve_emulator("efecell")
    try:
        for name, value in running.environment().items():
            monkeypatch.setenv(name, value)
        run = cli("send", "-p", "efecell", "--to", "05321112233", "--to", "05331112233",
                  "--text", "x", "--sender", "ILETI", "--json")  # fmt: skip
    finally:
        running.close()
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["preview"]["credits"] == "2"
    assert doc["result"]["credits"] == "2"
