"""The campaign engine against the testprov emulator, over real HTTP."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ileti.campaign import (
    Campaign,
    CampaignBusy,
    InputError,
    RowState,
    SQLiteStore,
    engine,
)
from ileti.client import Client
from ileti.emulation import Fault, FaultProxy, FaultSpec, serve
from ileti.errors import ValidationError

from .conftest import KEY, csv_of, numbers


def received(emulator: Any) -> Counter[str]:
    return Counter(m.recipient for m in emulator.messages)


def test_every_row_is_sent_once_and_stored(
    client: Client, emulator: Any, write: Callable[..., Path], tmp_path: Path
) -> None:
    path = write("in.csv", csv_of(numbers(230)))
    campaign = client.campaign(path, template="Merhaba {name}", store=tmp_path / "c.db")
    status = campaign.run(workers=4)
    assert status.count("accepted") == 230
    assert status.status == "done"
    assert status.finished
    assert set(received(emulator).values()) == {1}
    assert len(received(emulator)) == 230
    stored = {r.number: r for r in campaign.rows()}
    for message in emulator.messages:
        row = stored[message.recipient]
        assert row.state is RowState.ACCEPTED
        assert row.message_id == message.package_id
        assert message.text == f"Merhaba Ali {row.line - 2}"
    # testprov takes 50 recipients per request
    assert sorted(Counter(m.package_id for m in emulator.messages).values()) == [30] + [50] * 4


def test_bad_rows_are_invalid_with_their_line_and_the_rest_go(
    client: Client, emulator: Any, write: Callable[..., Path]
) -> None:
    text = (
        "to,name\n"
        "05321112233,Ayşe\n"  # 2
        "0532 11,Ali\n"  # 3: bad number
        ",Veli\n"  # 4: no number
        "05321112235,\n"  # 5: empty placeholder value
        "05321112236\n"  # 6: no value at all
        "05321112233,Ayşe again\n"  # 7: duplicate of line 2
        "05321112237," + "ş" * 300 + "\n"  # 8: too long
        "05321112238,a,b\n"  # 9: too many values
    )
    campaign = client.campaign(write("in.csv", text), template="Sayın {name}", store=":memory:")
    status = campaign.run()
    assert status.count("accepted") == 1
    invalid = {r.line: r.error for r in campaign.rows(RowState.INVALID)}
    assert sorted(invalid) == [3, 4, 5, 6, 7, 8, 9]
    assert "invalid phone number '0532 11'" in invalid[3]
    assert "no number in column 'to'" in invalid[4]
    assert "{name} has an empty value" in invalid[5]
    assert "no value for the placeholder {name}" in invalid[6]
    assert "duplicate of line 2" in invalid[7]
    assert "3 values for 2 columns" in invalid[9]
    assert [m.text for m in emulator.messages] == ["Sayın Ayşe"]


@pytest.mark.parametrize("bits", [None, 8], ids=["filter", "every-number-collides"])
def test_a_number_stored_by_an_earlier_chunk_is_a_duplicate(
    client: Client,
    emulator: Any,
    write: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    bits: int | None,
) -> None:
    # chunks of 10: lines 2-11 are stored before lines 12 on are read, so the
    # repeats are found through the import's filter of stored numbers and the
    # store (with a filter of 8 bits, every number's bit is set: the store
    # alone decides, and no distinct number is taken for a repeat)
    if bits is not None:
        monkeypatch.setattr(engine, "_FILTER_BITS", bits)
        monkeypatch.setattr(engine, "_FILTER_MASK", bits - 1)
    first = numbers(40)
    path = write("in.csv", csv_of([*first, first[0], first[25]]))
    campaign = client.campaign(path, template="Merhaba {name}", store=":memory:", batch_size=10)
    status = campaign.run(workers=2)
    assert status.count("accepted") == 40
    invalid = {r.line: r.error for r in campaign.rows(RowState.INVALID)}
    assert sorted(invalid) == [42, 43]
    assert "duplicate of line 2" in (invalid[42] or "")
    assert "duplicate of line 27" in (invalid[43] or "")
    assert set(received(emulator).values()) == {1}
    assert len(received(emulator)) == 40


def test_a_repeat_between_new_numbers_of_a_chunk_is_invalid_and_the_rest_go(
    client: Client, emulator: Any, write: Callable[..., Path]
) -> None:
    # chunks of 3: lines 2-4 are stored first; the second chunk holds a new
    # number, a repeat of line 4 and another new number. The chunk's rows are
    # stored together and the repeat after them (the import used to fail on
    # the chunk stored twice)
    rows = ["05310111220", "05321112233", "05300111220", "05301111220", "05300111220"]
    path = write("in.csv", csv_of([*rows, "05321112234"]))
    campaign = client.campaign(path, template="Merhaba {name}", store=":memory:", batch_size=3)
    status = campaign.run(workers=1)
    assert status.count("accepted") == 5
    assert [(r.line, r.error) for r in campaign.rows(RowState.INVALID)] == [
        (
            6,
            "duplicate of line 4: the number is already in this campaign "
            "(keep_duplicates sends it again)",
        )
    ]
    assert set(received(emulator).values()) == {1}
    assert len(received(emulator)) == 5


def test_an_import_resumed_after_a_stop_finds_numbers_the_first_run_stored(
    client: Client, emulator: Any, tmp_path: Path
) -> None:
    # the first run stops while importing (the importer looks every 256 rows);
    # the second starts with rows stored, so its filter is off and the store is
    # asked about every number
    first = numbers(600)
    campaign: Campaign | None = None

    def rows() -> Iterator[dict[str, str]]:
        for i, n in enumerate([*first, *first[:5]]):
            if i == 300:
                assert campaign is not None
                campaign.stop()
            yield {"to": n, "text": "x"}

    campaign = client.campaign(rows(), store=tmp_path / "c.db", batch_size=50)
    stopped = campaign.run(workers=2)
    assert stopped.status == "stopped"
    assert not stopped.imported
    status = campaign.run(workers=2)
    assert status.imported
    assert status.count("accepted") == 600
    assert sorted(r.line for r in campaign.rows(RowState.INVALID)) == [601, 602, 603, 604, 605]
    assert set(received(emulator).values()) == {1}


def _watch_claims(campaign: Campaign) -> list[tuple[int, int]]:
    """(importer commits before the claim, rows it got) for each claim a worker makes."""
    seen: list[tuple[int, int]] = []
    real = campaign._claim

    def claim(*args: Any, **kwargs: Any) -> Any:
        commits = campaign._commits
        rows = real(*args, **kwargs)
        seen.append((commits, len(rows)))
        return rows

    campaign._claim = claim  # type: ignore[method-assign]
    return seen


def test_workers_wait_for_the_first_chunk_of_a_new_import(
    client: Client, emulator: Any, tmp_path: Path
) -> None:
    """Before the importer's first commit there is nothing to claim: the
    workers wait for it instead of asking the store (which would only hold
    up the import). Rows stored by a stopped run are claimed at once."""
    first = numbers(600)
    campaign: Campaign | None = None

    def rows() -> Iterator[dict[str, str]]:
        for i, n in enumerate(first):
            if i == 300:
                assert campaign is not None
                campaign.stop()
            yield {"to": n, "text": "x"}

    campaign = client.campaign(rows(), store=tmp_path / "c.db", batch_size=50)
    claims = _watch_claims(campaign)
    assert campaign.run(workers=4).status == "stopped"
    assert claims
    assert all(commits > 0 for commits, _ in claims)
    pending = campaign.status().count("pending")
    assert pending > 0
    claims.clear()
    status = campaign.run(workers=4)
    assert status.count("accepted") == 600
    assert any(commits == 0 and got > 0 for commits, got in claims)  # stored rows at once
    assert set(received(emulator).values()) == {1}


def test_the_first_chunk_is_claimed_before_the_import_goes_on(
    client: Client, emulator: Any, write: Callable[..., Path], tmp_path: Path
) -> None:
    """After its first commit the importer lets a worker claim those rows
    (and start the first request) before it goes on."""
    path = write("in.csv", csv_of(numbers(230)))
    campaign = client.campaign(
        path, template="Merhaba {name}", store=tmp_path / "c.db", batch_size=50
    )
    campaign._FIRST_CLAIM_WAIT = 30.0  # however slow the machine: the order is what is tested
    claims = _watch_claims(campaign)
    pick = campaign._pick

    def slow_pick(*args: Any) -> Any:
        if campaign._commits and not campaign._claimed:
            time.sleep(0.2)  # a worker slow to claim: the importer must wait for it
        return pick(*args)

    campaign._pick = slow_pick  # type: ignore[method-assign]
    status = campaign.run(workers=2)
    assert status.count("accepted") == 230
    assert next(commits for commits, got in claims if got) == 1


@pytest.mark.parametrize("source", ["csv", "jsonl", "mappings"])
def test_a_new_campaigns_first_request_carries_its_first_chunk_only(
    client: Client,
    emulator: Any,
    write: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
) -> None:
    """The first chunk of a campaign holds FIRST_CHUNK rows (so that its
    request leaves once they are read), every other chunk the batch size;
    an import continued after a stop makes no small chunk again."""
    monkeypatch.setattr(engine, "FIRST_CHUNK", 7)
    first = numbers(130)
    if source == "csv":
        data: Any = write("in.csv", csv_of(first, column="text"))
    elif source == "jsonl":
        data = write("in.jsonl", "".join(f'{{"to": "{n}", "text": "x"}}\n' for n in first))
    else:
        data = [{"to": n, "text": "x"} for n in first]
    campaign = client.campaign(data, store=tmp_path / "c.db", batch_size=40)
    status = campaign.run(workers=2)
    assert status.count("accepted") == 130
    sizes = Counter(m.package_id for m in emulator.messages)
    # the packages in the order of their chunks
    order = {r.message_id: r.chunk for r in campaign.rows()}
    assert [sizes[p] for p in sorted(sizes, key=order.__getitem__)] == [7, 40, 40, 40, 3]

    # stopped after its first two chunks, then continued: full chunks after them
    more = numbers(100, start=1000)
    path = write("more.csv", csv_of(more, column="text"))
    again = client.campaign(path, store=tmp_path / "c.db", batch_size=40)
    _import_stopped(again, monkeypatch, after=2)  # a chunk a commit here
    again.import_rows()
    chunks = Counter(r.chunk for r in again.rows())
    assert [chunks[c] for c in sorted(chunks)] == [7, 40, 40, 13]


def test_keep_duplicates_sends_a_repeated_number_each_time(client: Client, emulator: Any) -> None:
    rows = [{"to": "05321112233", "text": "bir"}, {"to": "+905321112233", "text": "iki"}]
    campaign = client.campaign(rows, store=":memory:", keep_duplicates=True)
    assert campaign.run().count("accepted") == 2
    assert sorted(m.text for m in emulator.messages) == ["bir", "iki"]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('to,text\n05321112233,"ok"\n05321112234,"never closed\n05321112235,x\n', 3),
        ("to,to\n05321112233,x\n", 1),
        ("number,text\n05321112233,x\n", 1),
        ("", None),
    ],
)
def test_a_structural_problem_refuses_the_file_before_anything_is_stored(
    client: Client, emulator: Any, write: Callable[..., Path], text: str, line: int | None
) -> None:
    store = SQLiteStore(":memory:")
    with pytest.raises(InputError) as caught:
        client.campaign(write("in.csv", text), store=store)
    assert caught.value.line == line
    assert store.campaigns() == []
    assert emulator.received == []


def test_rows_are_grouped_by_the_encoding_they_need(client: Client, emulator: Any) -> None:
    rows = [{"to": n, "text": "düz metin" if i % 3 else "şeker"} for i, n in enumerate(numbers(9))]
    client.campaign(rows, store=":memory:").run(workers=1)
    by_package: dict[str, set[str]] = {}
    for m in emulator.messages:
        by_package.setdefault(m.package_id, set()).add(m.wire_encoding)
    assert sorted(tuple(v) for v in by_package.values()) == [("16bit",), ("7bit",)]


def test_one_text_for_everyone_goes_through_send(client: Client, emulator: Any) -> None:
    rows = [{"to": n} for n in numbers(120)]
    status = client.campaign(rows, template="Kampanya!", store=":memory:").run()
    assert status.count("accepted") == 120
    paths = Counter(r.path for r in emulator.received)
    assert paths == {"/send": 3}


class _AnswerLost:
    """The gateway takes the request, then its answer is lost (a 500 instead)."""

    def __init__(self, app: Any, lose: set[int]) -> None:
        self.app = app
        self.lose = lose
        self.count = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        answer: list[Any] = []
        body = b"".join(self.app(environ, lambda status, headers: answer.extend([status, headers])))
        if environ["PATH_INFO"] == "/multi":
            self.count += 1
            if self.count in self.lose:
                start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
                return [b"oops"]
        start_response(*answer)
        return [body]


@pytest.fixture
def lossy(emulator: Any) -> Iterator[tuple[_AnswerLost, str]]:
    app = _AnswerLost(emulator, {2})
    with serve(app) as srv:
        yield app, srv.base_url


def test_an_answer_lost_after_the_gateway_took_it_is_settled_as_sent(
    emulator: Any, lossy: tuple[_AnswerLost, str], tmp_path: Path
) -> None:
    _, url = lossy
    rows = [{"to": n, "text": "x"} for n in numbers(150)]
    with Client("testprov", api_key=KEY, base_url=url) as client:
        campaign = client.campaign(rows, store=tmp_path / "c.db")
        first = campaign.run(workers=1)
        assert first.count("unknown") == 50
        assert first.status == "attention"
        assert len(received(emulator)) == 150  # the gateway has them all
        second = Campaign.open(campaign.id, client=client, store=tmp_path / "c.db").run()
    assert second.count("accepted") == 150
    assert second.count("unknown") == 0
    assert set(received(emulator).values()) == {1}


def test_a_hang_leaves_rows_unknown_and_resume_sends_them_once(
    emulator: Any, served: Any, tmp_path: Path
) -> None:
    rows = [{"to": n, "text": "x"} for n in numbers(100)]
    with FaultProxy(served.base_url, hang_seconds=5) as proxy:
        proxy.set_faults(Fault.PASS, Fault.HANG)
        with Client("testprov", api_key=KEY, base_url=proxy.base_url, timeout=(2, 0.5)) as client:
            campaign = client.campaign(rows, store=tmp_path / "c.db")
            first = campaign.run(workers=1)
            assert (first.count("accepted"), first.count("unknown")) == (50, 50)
            unknown = list(campaign.rows(RowState.UNKNOWN))
            assert {r.error_category for r in unknown} == {"DeliveryUnknown"}
            assert len(received(emulator)) == 50  # the hung request never reached it
            second = campaign.run(workers=1)
    assert second.count("accepted") == 100
    assert set(received(emulator).values()) == {1}
    assert len(received(emulator)) == 100


def test_a_provider_that_cannot_be_asked_leaves_unknown_rows_for_the_user(
    tmp_path: Path,
) -> None:
    from ileti.testing import emulated

    with emulated("efecell") as e, FaultProxy(e.base_url) as proxy:
        e.emulator.credit = Decimal(10**6)
        client = Client(
            "efecell", base_url=proxy.base_url, timeout=(2, 0.5), **e.emulator.credentials()
        )
        rows = [{"to": n, "text": "x"} for n in numbers(3)]
        proxy.set_faults(Fault.HANG)
        campaign = client.campaign(
            rows, store=tmp_path / "c.db", batch_size=1, sender=e.emulator.default_sender
        )
        status = campaign.run(workers=1)
        assert status.count("unknown") == 1
        assert status.count("accepted") == 2
        # resuming never resends it: the gateway cannot be asked by reference
        assert campaign.run().count("unknown") == 1
        line = next(iter(campaign.rows(RowState.UNKNOWN))).line
        assert campaign.resolve([line], sent=False) == 1
        assert campaign.run().count("accepted") == 3
        with pytest.raises(ValidationError, match="no unknown row at line 99"):
            campaign.resolve([99], sent=True)
        client.close()
    assert len(e.emulator.messages) == 3


def test_out_of_credit_pauses_and_resume_continues(
    client: Client, emulator: Any, tmp_path: Path
) -> None:
    emulator.credit = Decimal(60)
    rows = [{"to": n, "text": "x"} for n in numbers(120)]
    campaign = client.campaign(rows, store=tmp_path / "c.db")
    status = campaign.run(workers=1)
    assert status.status == "paused"
    assert "credit" in (status.note or "")
    assert (status.count("accepted"), status.count("pending")) == (50, 70)
    assert type(campaign.paused_by).__name__ == "InsufficientCredit"
    emulator.credit = Decimal(1000)
    assert campaign.run().count("accepted") == 120
    assert set(received(emulator).values()) == {1}


def test_rate_limited_slows_down_and_sends_later(
    emulator: Any, served: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ileti.campaign import throttle

    pauses: list[float] = []
    monkeypatch.setattr(throttle.Throttle, "MAX_PAUSE", 0.01)
    real = throttle.Throttle.slow_down

    def spy(self: Any, retry_after: float | None = None) -> float:
        pauses.append(1.0)
        return real(self, retry_after)

    monkeypatch.setattr(throttle.Throttle, "slow_down", spy)
    with FaultProxy(served.base_url) as proxy:
        rate_limited = FaultSpec.http_status(429, retry_after=0, body=b'{"error": "rate"}')
        proxy.set_faults(Fault.PASS, rate_limited)
        with Client("testprov", api_key=KEY, base_url=proxy.base_url) as client:
            rows = [{"to": n, "text": "x"} for n in numbers(100)]
            status = client.campaign(rows, store=tmp_path / "c.db").run(workers=1)
    assert pauses == [1.0]
    assert status.count("accepted") == 100
    assert proxy.request_count == 3  # the refused request was made again
    assert set(received(emulator).values()) == {1}


def test_refused_recipients_are_rejected_with_the_reason(
    client: Client, emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ileti.emulation import EmulatorResponse

    original = emulator._accept

    def refuse_second(request: Any, items: Any, enc: Any, sender: Any, ref: Any = None) -> Any:
        response = original(request, items, enc, sender, ref)
        import json

        data = json.loads(response.body)
        data["results"][1] = {"to": data["results"][1]["to"], "ok": False, "reason": "blocked"}
        return EmulatorResponse.json(data)

    monkeypatch.setattr(emulator, "_accept", refuse_second)
    rows = [{"to": n, "text": "x"} for n in numbers(3)]
    campaign = client.campaign(rows, store=":memory:")
    status = campaign.run()
    assert (status.count("accepted"), status.count("rejected")) == (2, 1)
    rejected = next(iter(campaign.rows(RowState.REJECTED)))
    assert (rejected.line, rejected.error) == (2, "blocked")


def test_cancel_stops_pending_rows_for_good(client: Client, emulator: Any, tmp_path: Path) -> None:
    emulator.credit = Decimal(50)
    rows = [{"to": n, "text": "x"} for n in numbers(80)]
    campaign = client.campaign(rows, store=tmp_path / "c.db")
    campaign.run(workers=1)
    status = campaign.cancel()
    assert (status.count("accepted"), status.count("cancelled")) == (50, 30)
    with pytest.raises(ValidationError, match="cancelled"):
        campaign.run()


def test_delivery_reports_are_polled_until_final(client: Client, emulator: Any) -> None:
    rows = [{"to": n, "text": "x"} for n in numbers(60)]
    campaign = client.campaign(rows, store=":memory:")
    campaign.run()

    def sleep(seconds: float) -> None:
        emulator.clock.advance(3600)

    delivery = campaign.poll_reports(deadline=30, sleep=sleep)
    assert sum(delivery.values()) == 60
    assert set(delivery) <= {"delivered", "undelivered"}
    row = next(iter(campaign.rows()))
    assert row.delivery_raw in ("D", "U")


def test_one_runner_at_a_time(client: Client, tmp_path: Path) -> None:
    rows = [{"to": n, "text": "x"} for n in numbers(2)]
    campaign = client.campaign(rows, store=tmp_path / "c.db")
    other = Campaign.open(campaign.id, client=client, store=tmp_path / "c.db")
    with campaign.store.runner(campaign.id), pytest.raises(CampaignBusy):
        other.run()


def test_stop_lets_requests_in_flight_finish_and_records_them(
    client: Client, emulator: Any, tmp_path: Path
) -> None:
    rows = ({"to": n, "text": "x"} for n in numbers(500))  # a generator: read once
    campaign = client.campaign(rows, store=tmp_path / "c.db", batch_size=10)
    seen = threading.Event()

    def progress(p: Any) -> None:
        if p.requests >= 3:
            campaign.stop()
            seen.set()

    status = campaign.run(workers=2, on_progress=progress)
    assert seen.is_set()
    assert campaign.interrupted
    assert status.status == "stopped"
    assert status.count("claimed") == 0
    assert status.count("accepted") == len(emulator.messages)
    assert status.count("accepted") + status.count("pending") == status.rows
    assert campaign.run().count("accepted") == 500
    assert set(received(emulator).values()) == {1}


# -- the import checks a whole CSV block at once when it can ------------------------

_cells = st.one_of(
    st.sampled_from(["Ali", "Ayşe", "Veli Can", " ", "", "x" * 170, "a{b}", '"q"', "a,b"]),
    st.text(alphabet='abc XYZ019,.!\n"[€ş', max_size=12),
)
_numbers = st.one_of(
    st.sampled_from(["05321112233", "5321112234", "905321112235", "+905321112236"]),
    st.from_regex(r"0?5[34][0-9]{8}", fullmatch=True),
    st.sampled_from(["0532 111 22 37", "0532111", "", " 05321112238 ", "0561000000"]),
)


#: a row of the usual kind: a mobile number (from a few, so repeats occur) and plain values
_usual = st.tuples(
    st.sampled_from(["0", "", "+90"]).flatmap(
        lambda prefix: st.from_regex(r"53[0-9]{2}11122[0-9]", fullmatch=True).map(
            lambda national: prefix + national
        )
    ),
    st.from_regex(r"[A-Z][a-z]{1,8}( [0-9]{1,4})?", fullmatch=True),
    st.from_regex(r"K[0-9]{1,7}", fullmatch=True),
).map(",".join)


def _csv_cell(value: str) -> str:
    return f'"{value.replace(chr(34), chr(34) * 2)}"' if any(c in value for c in ',"\n') else value


def _import_stopped(campaign: Campaign, monkeypatch: pytest.MonkeyPatch, *, after: int) -> None:
    """Import ``campaign``'s rows, stopping it after the importer's ``after``-th commit."""
    commit = engine._Importer._commit
    commits: list[int] = []

    def stopping(self: Any, chunks: Any, *, done: bool = False) -> None:
        commit(self, chunks, done=done)
        commits.append(1)
        if len(commits) == after:
            self.campaign.stop()

    with monkeypatch.context() as m:
        m.setattr(engine._Importer, "_commit", stopping)
        campaign.import_rows()


def _rows_of(
    path: Path,
    client: Client,
    store: Path,
    monkeypatch: pytest.MonkeyPatch,
    stop_after: int,
    template: str | None = "Sayin {name}, kod {code}",
) -> list[tuple[Any, ...]]:
    """Import ``path``; with ``stop_after``, stop after that many commits and
    continue in a campaign opened anew (as a new process would). Without a
    template, the text is the column ``name``."""
    campaign = client.campaign(
        path, template=template, text_column="name", store=store, batch_size=3
    )
    if stop_after:
        _import_stopped(campaign, monkeypatch, after=stop_after)
        campaign = Campaign.open(campaign.id, client=client, store=store)
    campaign.import_rows()
    return [
        (r.line, r.number, r.text, r.state, r.group, r.parts, r.error, r.chunk)
        for r in campaign.rows()
    ]


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.one_of(
            _usual,
            _usual,
            _usual,
            _usual,
            st.tuples(_numbers, _cells, _cells).map(lambda r: ",".join(map(_csv_cell, r))),
            st.tuples(_numbers, _cells).map(lambda r: ",".join(map(_csv_cell, r))),
            st.just(""),
            st.just("05321119999,a,b,c"),
        ),
        max_size=30,
    ),
    st.sampled_from([2, 4, 256]),
    st.integers(0, 3),
    st.sampled_from(["Sayin {name}, kod {code}", "{code}{name}{{x}}", None]),
    st.sampled_from([1, 2, 50]),
)
def test_a_block_imported_at_once_is_stored_as_row_by_row(
    client: Client,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    lines: list[str],
    block: int,
    stop_after: int,
    template: str | None,
    first: int,
) -> None:
    """Every row's line, number, text, state, encoding, parts, error and chunk
    are the same whether the import checks a block at once or row by row,
    also when it stops and continues (with a first chunk smaller than the
    batch size, 3, or not)."""
    tmp = tmp_path_factory.mktemp("block")
    path = tmp / "in.csv"
    path.write_text("to,name,code\n" + "".join(f"{line}\n" for line in lines), encoding="utf-8")
    monkeypatch.setattr(engine, "_STOP_EVERY", block)
    monkeypatch.setattr(engine, "FIRST_CHUNK", first)
    at_once = _rows_of(path, client, tmp / "a.db", monkeypatch, stop_after, template)
    with monkeypatch.context() as m:
        m.setattr(engine._WholeBlock, "check", lambda self, block: None)
        one_by_one = _rows_of(path, client, tmp / "b.db", monkeypatch, stop_after, template)
    assert at_once == one_by_one


def test_the_usual_rows_take_the_block_path(
    client: Client, write: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    taken: list[int] = []
    check = engine._WholeBlock.check

    def counting(self: Any, block: Any) -> Any:
        ready = check(self, block)
        taken.append(0 if ready is None else len(ready))
        return ready

    monkeypatch.setattr(engine._WholeBlock, "check", counting)
    campaign = client.campaign(
        write("in.csv", csv_of(numbers(600))), template="Merhaba {name}", store=":memory:"
    )
    assert campaign.import_rows().count("pending") == 600
    assert taken == [50, 256, 256, 38]  # a new import reads its first chunk first


@pytest.mark.parametrize("stop_after", [1, 3])
def test_an_import_continued_after_a_stop_reads_its_blocks_as_row_by_row(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stop_after: int
) -> None:
    path = tmp_path / "in.csv"
    rows = [f"{n},Ali {i},K{i}" for i, n in enumerate(numbers(40))]
    rows[30] = rows[3].replace("Ali 3", "Ali again")  # a repeat of a stored number
    path.write_text("to,name,code\n" + "\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.setattr(engine, "_STOP_EVERY", 4)
    at_once = _rows_of(path, client, tmp_path / "a.db", monkeypatch, stop_after)
    monkeypatch.setattr(engine._WholeBlock, "check", lambda self, block: None)
    one_by_one = _rows_of(path, client, tmp_path / "b.db", monkeypatch, stop_after)
    assert at_once == one_by_one
    assert [r[0] for r in at_once if r[3] is RowState.INVALID] == [32]
