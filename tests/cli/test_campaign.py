"""``ileti campaign``: start, status, export, list, cancel, resolve, through the command."""

from __future__ import annotations

import argparse
import csv
import io
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from ileti.cli import _common as common
from ileti.emulation import Fault, FaultProxy


def rows_file(tmp_path: Path, n: int) -> str:
    path = tmp_path / "m.csv"
    lines = "".join(f"0532111{i:04d},Ali {i}\n" for i in range(n))
    path.write_text("to,name\n" + lines + "bad,x\n", "utf-8")
    return str(path)


def test_start_status_export_list(cli: Callable[..., Any], testprov: Any, tmp_path: Path) -> None:
    path = rows_file(tmp_path, 60)
    run = cli("campaign", "start", "-p", "testprov", path, "--template", "Sayın {name}", "--json")
    assert run.code == 3, run.err  # one invalid row; the others were sent
    started = json.loads(run.out)
    cid = started["id"]
    assert started["counts"]["accepted"] == 60
    assert started["counts"]["invalid"] == 1
    assert len(testprov.messages) == 60

    status = cli("campaign", "status", cid)
    assert status.code == 0
    assert f"Campaign {cid} (testprov)" in status.out
    assert "accepted: 60" in status.out
    assert "invalid: 1" in status.out
    as_json = json.loads(cli("campaign", "status", cid, "--json").out)
    assert as_json["parts"] == 60

    exported = list(csv.DictReader(io.StringIO(cli("campaign", "export", cid).out)))
    assert len(exported) == 61
    assert exported[0]["state"] == "accepted"
    assert exported[0]["number"] == "+905321110000"
    assert exported[-1]["state"] == "invalid"
    assert "'bad' is not one phone number" in exported[-1]["error"]
    lines = cli("campaign", "export", cid, "--format", "jsonl").out.splitlines()
    assert json.loads(lines[1])["line"] == 3

    listed = cli("campaign", "list")
    assert cid in listed.out
    assert json.loads(cli("campaign", "list", "--json").out)[0]["id"] == cid


def test_start_prints_the_id_first_and_an_exact_summary(
    cli: Callable[..., Any], testprov: Any, tmp_path: Path
) -> None:
    run = cli(
        "campaign", "start", "-p", "testprov", rows_file(tmp_path, 3), "--template", "x {name}"
    )
    first, *rest = run.out.splitlines()
    assert first.startswith("Campaign ")
    assert "4 rows: 3 accepted (3 parts), 0 rejected, 1 invalid" in run.out
    assert "invalid, refused before sending (lines 5)" in "\n".join(rest)


def test_a_paused_campaign_resumes_and_a_cancelled_one_sends_nothing_more(
    cli: Callable[..., Any], testprov: Any, tmp_path: Path
) -> None:
    testprov.credit = Decimal(50)
    run = cli(
        "campaign", "start", "-p", "testprov", rows_file(tmp_path, 120), "--template", "x {name}",
        "--workers", "1", "--json",
    )  # fmt: skip
    assert run.code == 4, run.err  # out of credit: paused
    doc = json.loads(run.out)
    assert doc["status"] == "paused"
    assert doc["paused_by"]["error_type"] == "InsufficientCredit"
    cancelled = cli("campaign", "cancel", doc["id"])
    assert cancelled.code == 0
    assert "70 rows will not be sent" in cancelled.out
    testprov.credit = Decimal(1000)
    again = cli("campaign", "resume", doc["id"])
    assert again.code == 3
    assert "cancelled" in again.err
    assert len(testprov.messages) == 50


def test_unknown_rows_are_listed_and_resolved_by_line(
    cli: Callable[..., Any],
    testprov: Any,
    served: Any,
    tmp_path: Path,
    monkeypatch: Any,
) -> None:
    path = tmp_path / "m.csv"
    path.write_text("to,text\n05321112233,a\n05321112234,b\n", "utf-8")
    with FaultProxy(served.base_url) as proxy:
        monkeypatch.setenv("ILETI_TESTPROV_BASE_URL", proxy.base_url)
        proxy.set_faults(Fault.PASS, Fault.RESET)
        run = cli("send-multi", "-p", "testprov", str(path), "--batch-size", "1", "--workers", "1")
    assert run.code == 5, run.err
    cid = run.out.split()[1]
    monkeypatch.setenv("ILETI_TESTPROV_BASE_URL", served.base_url)
    status = json.loads(cli("campaign", "status", cid, "--json").out)
    assert status["counts"]["unknown"] == 1
    bad = cli("campaign", "resolve", cid, "--line", "2", "--sent")
    assert bad.code == 3
    assert "no unknown row at line 2" in bad.err
    ok = cli("campaign", "resolve", cid, "--line", "3", "--not-sent")
    assert ok.code == 0
    assert "1 rows marked not sent" in ok.out
    assert cli("campaign", "resume", cid).code == 0
    assert sorted(m.text for m in testprov.messages) == ["a", "b"]


def test_an_unknown_campaign_id(cli: Callable[..., Any], tmp_path: Path) -> None:
    run = cli("campaign", "status", "20260101-000000")
    assert run.code == 3
    assert "no campaign '20260101-000000'" in run.err


def test_the_pool_is_sized_to_the_workers(testprov: Any) -> None:
    args = argparse.Namespace(
        provider="testprov", set=[], config=None, timeout=None, total_timeout=None, workers=16
    )
    with common.make_client(args) as client:
        assert client.transport.pool_size == 16
    args.workers = 2
    with common.make_client(args) as client:
        assert client.transport.pool_size == 8


def test_a_campaign_on_postgresql_is_read_from_anywhere_and_its_password_never_shown(
    cli: Callable[..., Any], testprov: Any, tmp_path: Path
) -> None:
    from urllib.parse import urlsplit, urlunsplit

    from ileti_postgres import temporary_schema

    from ileti.testing import service_url

    base = service_url("ILETI_TEST_POSTGRES")
    parts = urlsplit(base)
    # the servers trust loopback: the password is not checked, only carried
    secret = "s3cret-CANARY-77"
    netloc = f"{parts.username}:{secret}@{parts.hostname}:{parts.port}"
    with temporary_schema(urlunsplit(parts._replace(netloc=netloc)), "cli") as store:
        path = rows_file(tmp_path, 30)
        run = cli(
            "campaign",
            "start",
            "-p",
            "testprov",
            path,
            "--template",
            "Sayın {name}",
            "--store",
            store,
            "--json",
        )
        assert run.code == 3, run.err  # the invalid row
        cid = json.loads(run.out)["id"]
        assert len(testprov.messages) == 30
        status = json.loads(cli("campaign", "status", cid, "--store", store, "--json").out)
        assert status["counts"]["accepted"] == 30
        assert (status["status"], status["counts"]["invalid"]) == ("done", 1)
        assert cid in cli("campaign", "list", "--store", store).out
        missing = cli("campaign", "status", "nope", "--store", store)
        assert missing.code == 3
        assert ":***@" in missing.err
        unreachable = cli("campaign", "list", "--store", f"postgresql://u:{secret}@127.0.0.1:1/x")
        assert unreachable.code == 3
        assert "cannot connect to the campaign store" in unreachable.err
        for run in (missing, unreachable):
            assert secret not in run.out + run.err
