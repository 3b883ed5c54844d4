"""Campaigns run by real Celery workers (Redis broker) on the PostgreSQL store,
against the testprov emulator over loopback HTTP; a worker killed with SIGKILL
mid-run, and every recipient still accepted exactly once."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from ileti_celery import TASK_NAME, WORKER_COMMAND, enqueue, make_app
from ileti_celery.throttle import RedisThrottle
from ileti_postgres import temporary_schema

from ileti.campaign import Campaign, RowState
from ileti.campaign.engine import read_status
from ileti.campaign.store import open_store
from ileti.client import Client
from ileti.errors import ConfigurationError, ValidationError
from ileti.testing import ServedEmulator, serve_emulator, service_url


@pytest.fixture
def store_url() -> Iterator[str]:
    with temporary_schema(service_url("ILETI_TEST_POSTGRES"), "celery") as url:
        yield url


@pytest.fixture
def broker() -> str:
    """A Redis database of its own, emptied first."""
    url = service_url("ILETI_TEST_REDIS").rsplit("/", 1)[0] + "/3"
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def running() -> Iterator[ServedEmulator]:
    served = serve_emulator("testprov", credit=10**7)
    try:
        yield served
    finally:
        served.close()


@pytest.fixture
def emulator(running: ServedEmulator) -> Any:
    return running.emulator


@pytest.fixture
def client(running: ServedEmulator) -> Iterator[Client]:
    with Client("testprov", **running.settings(), timeout=10) as c:
        yield c


def _rows(n: int) -> list[dict[str, str]]:
    return [{"to": f"0532{i:07d}", "text": f"Kampanya {i}"} for i in range(n)]


class Workers:
    """``celery -A ileti_celery.worker worker`` processes, one task at a time each."""

    def __init__(self, broker: str, store: str, running: ServedEmulator, tmp: Path) -> None:
        # (another test of the session may have set DJANGO_SETTINGS_MODULE:
        # Celery would then set up that Django project in the worker)
        inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        self.env = {
            **inherited,
            **running.environment(),
            "ILETI_CELERY_BROKER": broker,
            "ILETI_CAMPAIGN_STORE": store,
            "ILETI_CELERY_VISIBILITY_TIMEOUT": "8",
        }
        self.tmp = tmp
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, n: int) -> None:
        for i in range(len(self.procs), len(self.procs) + n):
            log = open(self.tmp / f"worker{i}.log", "wb")  # noqa: SIM115 - closed with the process
            self.procs.append(
                subprocess.Popen(
                    [
                        *WORKER_COMMAND,
                        "--loglevel=WARNING",
                        f"--hostname=w{i}-{secrets.token_hex(3)}@%h",
                    ],
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    def kill(self, index: int) -> None:
        os.killpg(self.procs[index].pid, signal.SIGKILL)
        self.procs[index].wait(10)

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(10)

    def logs(self) -> str:
        return "\n".join(
            f"--- {f.name}\n{f.read_text(errors='replace')[-3000:]}"
            for f in sorted(self.tmp.glob("worker*.log"))
        )


@pytest.fixture
def workers(
    broker: str, store_url: str, running: ServedEmulator, tmp_path: Path
) -> Iterator[Workers]:
    w = Workers(broker, store_url, running, tmp_path)
    try:
        yield w
    finally:
        w.stop()


def _wait_finished(store_url: str, campaign_id: str, workers: Workers, timeout: float) -> Any:
    store = open_store(store_url)
    try:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            status = read_status(store, campaign_id)
            # "attention" with no unknown row left is the moment between a
            # runner settling the last ones and its word on how it ended
            settling = status.status == "attention" and not status.count(RowState.UNKNOWN)
            if status.finished and status.status != "running" and not settling:
                return status
            time.sleep(0.5)
        pytest.fail(f"the campaign did not finish: {status.to_dict()}\n{workers.logs()}")
    finally:
        store.close()


def test_fifty_thousand_rows_four_workers_one_killed_each_sent_once(
    client: Client, emulator: Any, store_url: str, broker: str, workers: Workers
) -> None:
    campaign = client.campaign(_rows(50_000), store=store_url)
    size = campaign.record.spec["batch_size"]  # testprov takes 50 numbers a request
    app = make_app(broker)
    workers.start(4)
    assert enqueue(campaign, app) == -(-50_000 // size)
    # kill one worker (SIGKILL, the whole process) once the campaign is under way
    store = open_store(store_url)
    try:
        end = time.monotonic() + 120
        while read_status(store, campaign.id).count(RowState.ACCEPTED) < 10_000:
            assert time.monotonic() < end, workers.logs()
            time.sleep(0.05)
    finally:
        store.close()
    workers.kill(0)
    status = _wait_finished(store_url, campaign.id, workers, timeout=240)
    sent = Counter(m.recipient for m in emulator.messages)
    assert len(sent) == 50_000
    assert set(sent.values()) == {1}, [n for n, c in sent.items() if c > 1][:5]
    assert status.count(RowState.ACCEPTED) == 50_000
    assert status.status == "done"
    # the store and the emulator agree on every row
    reopened = Campaign.open(campaign.id, client=client, store=store_url)
    try:
        assert {r.number for r in reopened.rows()} == set(sent)
    finally:
        reopened.store.close()


def test_a_task_delivered_twice_sends_nothing_twice(
    client: Client, emulator: Any, store_url: str
) -> None:
    campaign = client.campaign(_rows(30), store=store_url, batch_size=10)
    campaign.import_rows()
    assert campaign.send_chunk(2) == 10
    assert campaign.send_chunk(2) == 0  # the broker handed the same task again
    assert campaign.send_chunk(1) == 10
    assert campaign.send_chunk(3) == 10
    assert len(emulator.messages) == 30
    assert campaign.status().status == "done"


def test_a_claim_left_by_a_dead_worker_is_settled_before_its_chunk_is_sent_again(
    client: Client, emulator: Any, store_url: str
) -> None:
    """A runner claimed chunk 1 and died: had its request left or not? The
    gateway's report by client reference says, row by row."""
    campaign = client.campaign(_rows(20), store=store_url, batch_size=10)
    campaign.import_rows()
    store = campaign.store
    with store.runner(campaign.id) as dead:
        left = store.claim(campaign.id, batch="b-left", chunk=1, runner=dead)
        campaign._check_options()
        campaign._request("b-left", left, campaign.record_spec)  # it left, then the crash
        store.claim(campaign.id, batch="b-stayed", chunk=2, runner=dead)  # it never left
    assert len(emulator.messages) == 10
    assert campaign.send_chunk(1) == 0  # settled as sent: nothing sent again
    assert campaign.send_chunk(2) == 10  # settled as absent: sent now, once
    sent = Counter(m.recipient for m in emulator.messages)
    assert len(sent) == 20
    assert set(sent.values()) == {1}
    assert campaign.status().count(RowState.ACCEPTED) == 20


def test_celery_needs_a_store_several_workers_share(client: Client, tmp_path: Path) -> None:
    campaign = client.campaign(_rows(3), store=tmp_path / "c.db")
    with pytest.raises(ConfigurationError, match="postgresql://"):
        enqueue(campaign, make_app("redis://127.0.0.1:1/0"))


def test_a_cancelled_campaign_is_not_queued(client: Client, store_url: str) -> None:
    campaign = client.campaign(_rows(3), store=store_url)
    campaign.cancel()
    with pytest.raises(ValidationError, match="cancelled"):
        enqueue(campaign, make_app("redis://127.0.0.1:1/0"))
    assert campaign.status().count(RowState.CANCELLED) == 0  # never imported: nothing to cancel


def test_the_throttle_holds_across_workers(broker: str) -> None:
    """Two workers' throttles on one Redis: the second waits for the first's share."""
    provider = f"p{secrets.token_hex(3)}"
    one = RedisThrottle(broker, provider, messages=1000)
    two = RedisThrottle(broker, provider, messages=1000)
    assert one.reserve(500) == 0.0
    assert 0.45 < two.reserve(500) <= 0.5  # 500 messages at 1000/s: half a second later
    assert 0.95 < one.reserve(1) <= 1.0
    other = RedisThrottle(broker, f"{provider}-x", messages=1000)
    assert other.reserve(500) == 0.0  # another provider has its own budget
    assert one.slow_down(retry_after=3) == 3.0
    assert two.reserve(1) >= 2.9  # everyone pauses
    two.relax()
    with pytest.raises(ValueError, match="positive"):
        RedisThrottle(broker, provider, messages=0)


def test_the_task_sends_its_chunk_through_the_shared_throttle(
    client: Client,
    emulator: Any,
    running: ServedEmulator,
    store_url: str,
    broker: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The registered task, run in this process as a worker would run it: the
    store from the app's settings, the client from the environment, the rate
    reserved in Redis for the provider."""
    for name, value in running.environment().items():
        monkeypatch.setenv(name, value)
    campaign = client.campaign(_rows(120), store=store_url)
    app = make_app(broker, store=store_url)
    assert enqueue(campaign, app) == 3
    task = app.tasks[TASK_NAME]
    before = float(redis.Redis.from_url(broker).time()[0])
    assert task.run(campaign.id, 2, 100.0, None) == 50
    assert task.run(campaign.id, 2, 100.0, None) == 0
    free_at = float(redis.Redis.from_url(broker).get("ileti:throttle:testprov:messages") or 0)
    assert free_at > before  # 50 messages at 100/s were reserved: half a second ahead
    assert [m.recipient for m in emulator.messages] == [f"+90532{i:07d}" for i in range(50, 100)]


def test_two_runners_moving_the_same_dead_claims_both_go_on(
    client: Client, emulator: Any, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers start at once and both find a dead worker's claims: the
    one that moves them second finds them moved and goes on (it once failed
    its task, leaving its chunk unsent)."""
    campaign = client.campaign(_rows(20), store=store_url, batch_size=10)
    campaign.import_rows()
    store = campaign.store
    with store.runner(campaign.id) as dead:
        store.claim(campaign.id, batch="b-dead", chunk=1, runner=dead)
    stale = store.dead_claims(campaign.id)  # this runner reads them ...
    other = Campaign.open(campaign.id, client=client, store=store_url)
    other._settle_dead_claims()  # ... the other moves them
    other.store.close()
    reads = iter([stale])
    real = store.dead_claims
    monkeypatch.setattr(
        store, "dead_claims", lambda cid, limit=5000: next(reads, None) or real(cid, limit=limit)
    )
    assert campaign.send_chunk(1) == 10  # settled as never sent, then sent once
    assert campaign.send_chunk(2) == 10
    sent = Counter(m.recipient for m in emulator.messages)
    assert len(sent) == 20
    assert set(sent.values()) == {1}


def test_a_routed_campaign_fails_over_in_the_workers(
    running: ServedEmulator, emulator: Any, store_url: str, broker: str, workers: Workers
) -> None:
    """testprov refuses every connection; the workers build the campaign's
    router from their environment and send every row once through efecell."""
    from ileti.emulation import refused_url
    from ileti.routing import Router

    second = serve_emulator("efecell", credit=10**6)
    try:
        dead = {**running.environment(), "ILETI_TESTPROV_BASE_URL": refused_url()}
        workers.env.update({**dead, **second.environment()})
        router = Router(
            [
                Client("testprov", **{**running.settings(), "base_url": refused_url()}),
                Client("efecell", **second.settings()),
            ]
        )
        with router:
            campaign = router.campaign(
                _rows(200),
                store=store_url,
                batch_size=20,
                sender=second.emulator.default_sender,
            )
            workers.start(2)
            assert enqueue(campaign, make_app(broker)) == 10
            status = _wait_finished(store_url, campaign.id, workers, timeout=60)
        assert status.count(RowState.ACCEPTED) == 200
        sent = Counter(m.recipient for m in second.emulator.messages)
        assert len(sent) == 200
        assert set(sent.values()) == {1}
        assert emulator.messages == []
    finally:
        second.close()
