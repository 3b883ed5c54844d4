"""``ileti send-multi``: streamed CSV/JSONL, templates, bad rows, batches."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ileti.emulation import Fault, FaultProxy


def multi_requests(emulator: Any) -> list[dict[str, Any]]:
    return [r.json() for r in emulator.received if r.path == "/multi"]


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def json_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def test_csv_with_a_text_column(cli: Callable[..., Any], testprov: Any, tmp_path: Path) -> None:
    path = write(tmp_path, "m.csv", "to,text\n0532 111 22 33,Birinci\n05321112239,İkinci\n")
    run = cli("send-multi", "-p", "testprov", path)
    assert run.code == 0, run.err
    assert sorted((m.recipient, m.text) for m in testprov.messages) == [
        ("+905321112233", "Birinci"),
        ("+905321112239", "İkinci"),
    ]
    assert "Summary: 2 rows; 2 sent" in run.out
    assert run.out.startswith("Campaign ")


def test_template_filled_from_columns(
    cli: Callable[..., Any], testprov: Any, tmp_path: Path
) -> None:
    path = write(tmp_path, "m.csv", "to,name,code\n05321112233,Ayşe,A1\n05321112234,Veli,B2\n")
    run = cli("send-multi", "-p", "testprov", path, "--template", "Sayın {name}, kod {code}.")
    assert run.code == 0, run.err
    assert [m.text for m in testprov.messages] == ["Sayın Ayşe, kod A1.", "Sayın Veli, kod B2."]


def test_jsonl_with_other_column_names(
    cli: Callable[..., Any], testprov: Any, tmp_path: Path
) -> None:
    rows = [{"gsm": 905321112233, "msg": "bir"}, {"gsm": "0532 111 22 34", "msg": "iki"}]
    path = write(tmp_path, "m.jsonl", "".join(json.dumps(r) + "\n\n" for r in rows))
    run = cli(
        "send-multi", "-p", "testprov", path, "--to-column", "gsm", "--text-column", "msg", "--json"
    )
    assert run.code == 0, run.err
    events = json_lines(run.out)
    assert [(e["line"], e["status"]) for e in events[:-1]] == [(1, "accepted"), (3, "accepted")]
    assert events[-1]["summary"]["sent"] == 2
    assert [m.text for m in testprov.messages] == ["bir", "iki"]


def test_bad_rows_are_reported_by_line_and_the_rest_sent(
    cli: Callable[..., Any], testprov: Any, tmp_path: Path
) -> None:
    text = (
        "to,name\n"
        "05321112233,Ayşe\n"  # 2: fine
        "0532 11,Ali\n"  # 3: bad number
        ",Veli\n"  # 4: no number
        "05321112235\n"  # 5: no name for the placeholder
        '05321112236,"çok\nsatırlı"\n'  # 6-7: one row on two lines
        "05321112237," + "ş" * 300 + "\n"  # 8: too long
        "\n"  # blank: ignored
        "05321112238,a,b,c\n"  # 10: too many values
    )
    path = write(tmp_path, "m.csv", text)
    run = cli("send-multi", "-p", "testprov", path, "--template", "Sayın {name}")
    assert run.code == 3, run.err
    assert [m.recipient for m in testprov.messages] == ["+905321112233", "+905321112236"]
    assert testprov.messages[1].text == "Sayın çok\nsatırlı"
    assert "line 3: invalid phone number '0532 11'" in run.err
    assert "line 4: no number in column 'to'" in run.err
    assert "line 5: no value for the placeholder {name}" in run.err
    assert "line 8: " in run.err
    assert "line 10: 4 values for 2 columns" in run.err
    assert "5 refused before sending (lines 3, 4, 5, 8, 10)" in run.out


def test_bad_rows_in_json_mode(cli: Callable[..., Any], testprov: Any, tmp_path: Path) -> None:
    path = write(tmp_path, "m.jsonl", '{"to": "05321112233", "text": "a"}\nnot json\n[1]\n')
    run = cli("send-multi", "-p", "testprov", path, "--json")
    assert run.code == 3
    events = json_lines(run.out)
    statuses = {e["line"]: e["status"] for e in events[:-1]}
    assert statuses == {1: "accepted", 2: "invalid", 3: "invalid"}
    summary = events[-1]["summary"]
    assert (summary["invalid"], summary["invalid_lines"], summary["exit_code"]) == (2, [2, 3], 3)


def test_batches_follow_the_batch_size(
    cli: Callable[..., Any], testprov: Any, tmp_path: Path
) -> None:
    rows = "".join(f"0532111223{i},mesaj {i}\n" for i in range(7))
    path = write(tmp_path, "m.csv", "to,text\n" + rows)
    run = cli("send-multi", "-p", "testprov", path, "--batch-size", "3")
    assert run.code == 0, run.err
    assert [len(r["items"]) for r in multi_requests(testprov)] == [3, 3, 1]
    assert "in 3 requests" in run.out


def test_batch_size_is_capped_by_the_provider(
    cli: Callable[..., Any], testprov: Any, tmp_path: Path
) -> None:
    rows = "".join(f"05321{i:06d},x\n" for i in range(60))
    path = write(tmp_path, "m.csv", "to,text\n" + rows)
    run = cli("send-multi", "-p", "testprov", path, "--batch-size", "100")
    assert run.code == 0, run.err
    # two requests, 50 rows and the 10 left; the campaign's workers send them in either order
    assert sorted(len(r["items"]) for r in multi_requests(testprov)) == [10, 50]
    assert "using 50" in run.err


def test_rows_are_grouped_by_the_encoding_they_need(
    cli: Callable[..., Any], testprov: Any, tmp_path: Path
) -> None:
    long_plain = "a" * 400  # three GSM-7 parts; six in UCS-2, over testprov's three
    path = write(tmp_path, "m.csv", f"to,text\n05321112233,{long_plain}\n05321112234,şeker\n")
    run = cli("send-multi", "-p", "testprov", path)
    assert run.code == 0, run.err
    assert sorted(r["enc"] for r in multi_requests(testprov)) == ["16bit", "7bit"]
    assert {m.text: m.parts for m in testprov.messages} == {long_plain: 3, "şeker": 1}


def test_csv_delimiter_and_byte_order_mark(
    cli: Callable[..., Any], testprov: Any, tmp_path: Path
) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffto;text\n05321112233;Merhaba, dünya\n".encode())
    run = cli("send-multi", "-p", "testprov", str(path), "--delimiter", ";")
    assert run.code == 0, run.err
    assert [m.text for m in testprov.messages] == ["Merhaba, dünya"]


def test_a_file_that_is_not_utf8_is_refused_before_sending(
    cli: Callable[..., Any], testprov: Any, tmp_path: Path
) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(b"to,text\n05321112233,ok\n05321112234,\xfe\xfe\n")
    run = cli("send-multi", "-p", "testprov", str(path))
    assert run.code == 3
    assert "line 3: the file is not UTF-8 text: save it as UTF-8" in run.err
    assert testprov.messages == []


def test_a_missing_column_stops_before_sending(
    cli: Callable[..., Any], testprov: Any, tmp_path: Path
) -> None:
    path = write(tmp_path, "m.csv", "number,text\n05321112233,a\n")
    run = cli("send-multi", "-p", "testprov", path)
    assert run.code == 3
    assert "no column 'to'" in run.err
    assert testprov.received == []


@pytest.mark.parametrize("template", ["{0} x", "{a.b}", "{x", "{a[0]}"])
def test_a_malformed_template_is_a_usage_error(
    cli: Callable[..., Any], testprov: Any, tmp_path: Path, template: str
) -> None:
    path = write(tmp_path, "m.csv", "to,a,x\n05321112233,1,2\n")
    run = cli("send-multi", "-p", "testprov", path, "--template", template)
    assert run.code == 2, run.err
    assert testprov.received == []


def test_unsupported_option_stops_before_reading(
    cli: Callable[..., Any], testprov: Any, tmp_path: Path
) -> None:
    path = write(tmp_path, "m.csv", "to,text\n05321112233,a\n")
    run = cli("send-multi", "-p", "testprov", path, "--schedule", "+1h")
    assert run.code == 3
    assert "does not support scheduling" in run.err
    assert testprov.received == []


def test_a_provider_without_send_multi(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = write(tmp_path, "m.csv", "to,text\n05321112233,a\n")
    run = cli("send-multi", "-p", "testprov-min", path)
    assert run.code == 3
    assert "does not support 'send_multi'" in run.err


def test_empty_file(cli: Callable[..., Any], testprov: Any, tmp_path: Path) -> None:
    assert cli("send-multi", "-p", "testprov", write(tmp_path, "e.csv", "")).code == 3
    run = cli("send-multi", "-p", "testprov", write(tmp_path, "h.csv", "to,text\n"))
    assert run.code == 3
    assert "the file has no rows" in run.out


def test_missing_file(cli: Callable[..., Any], testprov: Any, tmp_path: Path) -> None:
    run = cli("send-multi", "-p", "testprov", str(tmp_path / "nope.csv"))
    assert run.code == 3
    assert "cannot read" in run.err


def test_out_of_credit_pauses_the_run_and_resume_sends_the_rest_once(
    cli: Callable[..., Any], testprov: Any, tmp_path: Path
) -> None:
    testprov.credit = Decimal(3)  # the first batch of three spends it all
    rows = "".join(f"0532111223{i},x\n" for i in range(7))
    path = write(tmp_path, "m.csv", "to,text\n" + rows)
    run = cli("send-multi", "-p", "testprov", path, "--batch-size", "3", "--workers", "1", "--json")
    assert run.code == 4, run.err
    events = json_lines(run.out)
    summary = events[-1]["summary"]
    assert (summary["sent"], summary["not_sent"]) == (3, 4)
    assert summary["stopped"]["error_type"] == "InsufficientCredit"
    assert [e["status"] for e in events[:-1]] == ["accepted"] * 3 + ["not sent"] * 4
    assert len(testprov.messages) == 3
    testprov.credit = Decimal(100)
    again = cli("campaign", "resume", summary["campaign"], "--json")
    assert again.code == 0, again.err
    assert sorted(m.recipient for m in testprov.messages) == [f"+90532111223{i}" for i in range(7)]


def test_delivery_unknown_on_a_batch_exits_5(
    cli: Callable[..., Any],
    testprov: Any,
    served: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = write(tmp_path, "m.csv", "to,text\n05321112233,a\n05321112234,b\n")
    with FaultProxy(served.base_url) as proxy:
        monkeypatch.setenv("ILETI_TESTPROV_BASE_URL", proxy.base_url)
        proxy.set_faults(Fault.PASS, Fault.RESET)
        # one request at a time, so the proxy's faults meet the lines in order
        run = cli("send-multi", "-p", "testprov", path, "--batch-size", "1", "--workers", "1")
    assert run.code == 5, run.err
    assert "line 3 may have been sent" in run.err
    assert "1 may have been sent (delivery unknown" in run.out
    assert "Traceback" not in run.err


def test_dry_run_sends_nothing(cli: Callable[..., Any], testprov: Any, tmp_path: Path) -> None:
    path = write(tmp_path, "m.csv", "to,text\n05321112233,a\n05321112234,ş\n9,x\n")
    run = cli("send-multi", "-p", "testprov", path, "--dry-run")
    assert run.code == 3  # one bad row
    assert testprov.received == []
    assert "2 would be sent (2 parts)" in run.out


def test_standard_input_is_kept_so_the_campaign_can_resume(
    cli: Callable[..., Any], testprov: Any, tmp_path: Path
) -> None:
    lines = "to,text\n" + "".join(f"05321{i:06d},x\n" for i in range(40))
    run = cli("send-multi", "-p", "testprov", "-", "--batch-size", "10", stdin=lines.encode())
    assert run.code == 0, run.err
    assert len(testprov.messages) == 40
    spooled = list((tmp_path / "xdg_data_home" / "ileti" / "inputs").iterdir())
    assert len(spooled) == 1
    assert spooled[0].read_text() == lines
    assert spooled[0].stat().st_mode & 0o077 == 0


def test_the_default_encoding_setting_applies_to_every_row(
    cli: Callable[..., Any], testprov: Any, tmp_path: Path
) -> None:
    path = write(tmp_path, "m.csv", "to,text\n05321112233,a\n05321112234,b\n")
    run = cli("send-multi", "-p", "testprov", path, "--set", "default_encoding=ucs2")
    assert run.code == 0, run.err
    assert [r["enc"] for r in multi_requests(testprov)] == ["16bit"]
