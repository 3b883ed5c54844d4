"""``ileti receive`` with ``ileti emulate``: the whole push loop on one machine,
each in its own process, as a user would run it."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ileti

ILETI = str(Path(sys.executable).with_name("ileti"))


class Lines:
    """A process's standard output, line by line, with a timeout (a thread reads)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.queue: queue.Queue[str] = queue.Queue()
        stdout = proc.stdout
        assert stdout is not None
        threading.Thread(target=lambda: [self.queue.put(x) for x in stdout], daemon=True).start()

    def next(self, timeout: float) -> str:
        try:
            return self.queue.get(timeout=max(timeout, 0.01))
        except queue.Empty:
            raise AssertionError(f"no output within {timeout:.0f}s") from None


def test_the_emulator_pushes_to_ileti_receive(
    start: Callable[..., Any],
) -> None:
    emulate = start("emulate", "kobikom", "--json", "--clock-speed", "100")
    served = json.loads(Lines(emulate).next(30))
    receive = start("receive", "-p", "kobikom", "--json", env=served["env"])
    lines = Lines(receive)
    push_url = json.loads(lines.next(30))["push_url"]
    assert push_url.startswith("http://127.0.0.1:")
    env = {**served["env"], "ILETI_KOBIKOM_PUSH_URL": push_url}
    with ileti.Client.from_env("kobikom", env=env) as client:  # same report store as receive
        result = client.send(["05321112233", "05321112239"], "Merhaba", sender=served["sender"])
    final: dict[str, str] = {}
    deadline = time.monotonic() + 60
    while len(final) < 2:
        doc: dict[str, Any] = json.loads(lines.next(deadline - time.monotonic()))
        assert doc["message_id"] == result.message_id
        if doc["state"] in ("delivered", "undelivered"):
            final[doc["number"]] = doc["state"]
    assert final == {"+905321112233": "delivered", "+905321112239": "undelivered"}
    for proc in (receive, emulate):
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "Traceback" not in err


def test_max_reports_and_the_printed_export(cli: Callable[..., Any], testprov: Any) -> None:
    run = cli("receive", "-p", "testprov", "--port", "0")
    assert run.code == 3
    assert "parse_push" in run.err
    assert cli("receive", "-p", "testprov", "--max-reports", "0").code == 3
