"""``ileti segments``, driven through a parser built here (not ``ileti.cli.main``)."""

from __future__ import annotations

import argparse
import io
import json
from types import SimpleNamespace

import pytest

from ileti.cli import segments
from ileti.errors import ConfigurationError
from ileti.text import EFECELL_TURKISH, GSM7, UCS2, ProfileEncoding, TextProfile

EFECELL = TextProfile(
    encodings=(
        ProfileEncoding("gsm7", "default", GSM7),
        ProfileEncoding("ucs2", "utf-8", UCS2),
        ProfileEncoding("turkish", "turkish", EFECELL_TURKISH),
    ),
    max_parts=4,
    aliases={"default": "gsm7", "utf-8": "ucs2"},
)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ileti")
    segments.register(p.add_subparsers(dest="command"))
    return p


def run(
    argv: list[str], capsys: pytest.CaptureFixture[str], stdin: str | None = None
) -> tuple[int, str, str]:
    args = parser().parse_args(["segments", *argv])
    with pytest.MonkeyPatch.context() as mp:
        if stdin is not None:
            mp.setattr("sys.stdin", io.StringIO(stdin))
        code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def fake_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    def provider_info(name: str) -> SimpleNamespace:
        if name != "efecell":
            raise ConfigurationError(f"no provider named {name!r} is installed")
        return SimpleNamespace(text=EFECELL)

    monkeypatch.setattr("ileti.host.provider_info", provider_info)


def test_human_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["Merhaba dünya {x}"], capsys)
    assert code == 0
    assert err == ""
    assert "encoding:  gsm7" in out
    assert "parts:     1" in out
    assert "units:     19/160" in out
    assert "remaining: 141" in out


def test_human_output_multi_part_ucs2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["ş" * 66 + "😀" + "₺" * 5], capsys)
    assert code == 0
    assert "encoding:  ucs2" in out
    assert "parts:     2" in out
    assert "units:     73 (66/67, 7/67)" in out
    assert "remaining: 60" in out
    assert "UCS-2 forced by: 'ş' (U+015F), '😀' (U+1F600), '₺' (U+20BA)" in out


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--json", "Çok güzel"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["encoding"] == "gsm7"  # Ç and ü are in the GSM basic table
    assert data["part_texts"] == ["Çok güzel"]
    assert data["forced_ucs2"] == []
    assert "Çok güzel" in out  # not \\u escaped


def test_json_output_forced(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--json", "Işık"], capsys)
    data = json.loads(out)
    assert (code, data["encoding"], data["forced_ucs2"]) == (0, "ucs2", ["ş", "ı"])
    assert "Işık" in out


def test_text_from_stdin_drops_one_newline(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--json"], capsys, stdin="a" * 160 + "\n")
    data = json.loads(out)
    assert (code, data["parts"], data["units"]) == (0, 1, 160)
    code, out, _ = run(["--json"], capsys, stdin="a" * 160 + "\n\n")
    assert json.loads(out)["parts"] == 2


def test_fold(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--fold", "--json", "Işık"], capsys)
    data = json.loads(out)
    assert (code, data["encoding"], data["part_texts"], data["folded"]) == (
        0,
        "gsm7",
        ["Isik"],
        True,
    )
    code, out, _ = run(["--fold", "Işık"], capsys)
    assert "folded" in out


def test_explicit_encoding_that_cannot_carry(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["--encoding", "gsm7", "Işık"], capsys)
    assert code == 3
    assert out == ""
    assert "'ş'" in err
    assert "'ı'" in err


def test_unknown_encoding(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["--encoding", "klingon", "abc"], capsys)
    assert code == 3
    assert "'klingon'" in err


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["--jsonl", "abc"], capsys)
    assert code == 2
    assert "--jsonl" in err
    with pytest.raises(SystemExit) as info:
        parser().parse_args(["segments", "--json", "--jsonl"])
    assert info.value.code == 2


def test_provider_profile(capsys: pytest.CaptureFixture[str], fake_provider: None) -> None:
    text = "Sayın müşterimiz, siparişiniz kargoya verildi. Teşekkür ederiz. " * 2
    code, out, _ = run(["--provider", "efecell", text], capsys)
    assert code == 0
    assert "encoding:  turkish" in out
    assert "limit:     4 parts for efecell (fits)" in out
    code, out, _ = run(["--provider", "efecell", "--json", "--encoding", "utf-8", "abc"], capsys)
    assert json.loads(out)["wire"] == "utf-8"


def test_provider_too_long(capsys: pytest.CaptureFixture[str], fake_provider: None) -> None:
    code, out, err = run(["--provider", "efecell", "a" * 613], capsys)
    assert code == 3
    assert "parts:     5" in out
    assert "TOO LONG" in out
    assert "5 parts" in err
    assert "at most 4 parts" in err


def test_unknown_provider(capsys: pytest.CaptureFixture[str], fake_provider: None) -> None:
    code, out, err = run(["--provider", "nope", "abc"], capsys)
    assert code == 3
    assert out == ""
    assert "'nope'" in err


def test_jsonl(capsys: pytest.CaptureFixture[str]) -> None:
    lines = [
        json.dumps({"text": "merhaba"}),
        "",
        "not json",
        json.dumps({"text": "Işık", "encoding": "gsm7"}),
        json.dumps({"text": "Işık", "encoding": "gsm7-tr"}),
        json.dumps(["a list"]),
        json.dumps({"encoding": "gsm7"}),
        json.dumps({"text": "x", "encoding": 7}),
        json.dumps({"text": "x", "encoding": "klingon"}),
        json.dumps({"text": "😀" * 40}, ensure_ascii=False),
    ]
    code, out, _ = run(["--jsonl"], capsys, stdin="\n".join(lines) + "\n")
    assert code == 3
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 9  # the blank line is skipped
    assert rows[0]["encoding"] == "gsm7"
    assert rows[1]["line"] == 3
    assert rows[2]["line"] == 4
    assert "'ş'" in rows[2]["error"]
    assert rows[3]["encoding"] == "gsm7-tr"
    assert [r.get("line") for r in rows[4:8]] == [6, 7, 8, 9]
    assert rows[8]["parts"] == 2
    assert rows[8]["part_texts"][0] == "😀" * 33


def test_jsonl_all_good_and_default_encoding(capsys: pytest.CaptureFixture[str]) -> None:
    stdin = "".join(json.dumps({"text": f"mesaj {i} ş"}) + "\n" for i in range(2500))
    code, out, _ = run(["--jsonl", "--encoding", "gsm7-tr"], capsys, stdin=stdin)
    assert code == 0
    rows = out.splitlines()
    assert len(rows) == 2500
    assert all(json.loads(row)["encoding"] == "gsm7-tr" for row in rows)


def test_jsonl_limit_per_line(capsys: pytest.CaptureFixture[str], fake_provider: None) -> None:
    stdin = json.dumps({"text": "a" * 613}) + "\n" + json.dumps({"text": "a"}) + "\n"
    code, out, _ = run(["--jsonl", "--provider", "efecell"], capsys, stdin=stdin)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 3
    assert rows[0]["line"] == 1
    assert "at most 4 parts" in rows[0]["error"]
    assert rows[1]["wire"] == "default"


def test_lone_surrogate_does_not_break_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--jsonl"], capsys, stdin='{"text": "a\\ud800b"}\n')
    assert code == 0
    out.encode("utf-8")
    assert json.loads(out)["units"] == 3
