"""One send through ``ileti.Client`` against a raw urllib3 POST, and start-up times.

Not a pytest test. Run from the repository root::

    .venv/bin/python tests/benchmarks/bench_send.py [--sends 300] [--rounds 7]
    .venv/bin/python tests/benchmarks/bench_send.py --startup-only
    .venv/bin/python tests/benchmarks/bench_send.py --providers kobikom \
        --setting kobikom.report_store_sync=normal

**Sends.** For each provider, one message is first sent through its emulator
to record the request the plugin makes and the answer the gateway gives.
Then a canned server on loopback (a process of its own, HTTP/1.1 keep-alive)
answers every request with that answer at once (where the answer echoes the
client reference the request carried, Kobikom's ``messageId``, it echoes each
request's own, as the gateway does), and two loops run against it,
interleaved round by round in one process:

* **raw**: a urllib3 pool POSTing the recorded request (same path, headers
  and body) and reading the answer: the floor for any client;
* **ileti**: ``client.send(number, text)``: the whole client (checks,
  segmentation, the plugin's wire model, the transport, the answer read back
  into a ``SendResult``), with the provider's defaults (Kobikom's durable
  report store included).

It prints the median µs per send of each, over the rounds, and the ratio.

**Start-up.** Whole-process times of ``python -c pass``, ``python -c "import
ileti"``, ``ileti --help`` and ``ileti segments Merhaba`` (several runs: min
and median), and each ratio to the bare interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

PROVIDERS = ("efecell", "ekomesaj", "innomobil", "kobikom", "modexi")
NUMBER = "05321112233"
TEXT = "Merhaba, siparisiniz yola cikti."
SENDER = "ILETI"

# a canned server: every request gets the recorded answer (status, headers, body);
# where the recorded request carried the send's client reference and the answer
# echoes it (Kobikom's messageId), the answer echoes each request's own, as the
# gateway does (client refs are all of one length: each at the same place in the body)
SERVER = r"""
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
canned = json.loads(sys.stdin.readline())
body = canned["body"].encode("latin-1")
ref = canned["client_ref"].encode("latin-1")
at = canned["request_body"].encode("latin-1").find(ref) if ref in body else -1

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # one write per answer and no Nagle: else each answer waits for a delayed ACK
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        sent = self.rfile.read(length) if length else b""
        answer = body if at < 0 else body.replace(ref, sent[at : at + len(ref)])
        self.send_response(canned["status"])
        self.send_header("Content-Type", canned["content_type"])
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
    do_GET = do_POST = _answer
    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def record(provider: str) -> tuple[dict[str, object], dict[str, str]]:
    """The request ileti makes for one send through the provider's emulator,
    the answer to it (read through a transport that keeps it), and the
    settings the client needs (the emulator's credentials)."""
    from ileti import Client
    from ileti.testing import serve_emulator
    from ileti.transport import Transport

    class Keeping:  # the standard transport, keeping the last answer to a send
        def __init__(self, inner: Transport) -> None:
            self.inner = inner
            self.answer: Any = None

        @property
        def requests_started(self) -> int:
            return self.inner.requests_started

        def send(self, request: Any, *, client_ref: str | None = None) -> Any:
            self.answer = self.inner.send(request, client_ref=client_ref)
            return self.answer

        def read(self, request: Any, *, replayable: bool = True) -> Any:
            return self.inner.read(request, replayable=replayable)

        def close(self) -> None:
            self.inner.close()

    running = serve_emulator(provider, senders=[SENDER], credit=10**9)
    try:
        settings = {k: v for k, v in running.settings().items() if k != "base_url"}
        keeping = Keeping(Transport(provider, running.base_url))
        with Client(provider, base_url=running.base_url, transport=keeping, **settings) as client:
            ref = client.send(NUMBER, TEXT, sender=SENDER).client_ref or ""
        sent = running.emulator.received[-1]
        answer = keeping.answer
        canned = {
            "method": sent.method,
            "path": sent.path + (f"?{sent.query_string}" if sent.query_string else ""),
            "headers": {
                k: v for k, v in sent.headers.items() if k not in ("host", "content-length")
            },
            "request_body": sent.body.decode("latin-1"),
            "status": answer.status,
            "content_type": answer.headers.get("content-type", "application/json"),
            "body": answer.body.decode("latin-1"),
            "client_ref": ref,
        }
    finally:
        running.close()
    return canned, settings


def bench_sends(
    provider: str, sends: int, rounds: int, extra: dict[str, str] | None = None
) -> tuple[float, float]:
    import urllib3

    from ileti import Client

    canned, settings = record(provider)
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert server.stdin is not None
    assert server.stdout is not None
    server.stdin.write(json.dumps(canned) + "\n")
    server.stdin.flush()
    base = f"http://127.0.0.1:{server.stdout.readline().strip()}"
    try:
        pool = urllib3.PoolManager(maxsize=1)
        body = str(canned["request_body"]).encode("latin-1")
        headers = dict(canned["headers"])  # type: ignore[call-overload]
        url = base + str(canned["path"])
        method = str(canned["method"])

        def raw() -> None:
            for _ in range(sends):
                r = pool.request(method, url, body=body, headers=headers)
                assert r.status == canned["status"]
                r.data  # noqa: B018 - read the answer, as the client does

        with Client(provider, base_url=base, **settings, **(extra or {})) as client:

            def ileti() -> None:
                for _ in range(sends):
                    client.send(NUMBER, TEXT, sender=SENDER)

            raw()  # warm both (connections, caches, lazy imports)
            ileti()
            times: dict[str, list[float]] = {"raw": [], "ileti": []}
            for i in range(rounds):
                order = [("raw", raw), ("ileti", ileti)]
                for name, loop in order if i % 2 == 0 else order[::-1]:
                    start = time.perf_counter()
                    loop()
                    times[name].append((time.perf_counter() - start) / sends * 1e6)
    finally:
        server.kill()
        server.wait()
    return statistics.median(times["raw"]), statistics.median(times["ileti"])


def bench_startup(runs: int) -> list[tuple[str, float, float]]:
    venv_bin = Path(sys.executable).parent
    ileti = str(venv_bin / "ileti")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    commands = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("import ileti", [sys.executable, "-c", "import ileti"]),
        ("ileti --help", [ileti, "--help"]),
        ("ileti segments Merhaba", [ileti, "segments", "Merhaba"]),
    ]
    results = []
    for label, argv in commands:
        subprocess.run(argv, capture_output=True, env=env, check=True)  # bytecode cached
        taken = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(argv, capture_output=True, env=env, check=True)
            taken.append((time.perf_counter() - start) * 1000)
        results.append((label, min(taken), statistics.median(taken)))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sends", type=int, default=300, help="sends per round and loop")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds")
    parser.add_argument("--runs", type=int, default=15, help="runs of each start-up command")
    parser.add_argument("--providers", default=",".join(PROVIDERS))
    parser.add_argument("--startup-only", action="store_true")
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="PROVIDER.NAME=VALUE",
        help="a setting for one provider's client (kobikom.report_store_sync=normal); repeatable",
    )
    args = parser.parse_args()
    extra: dict[str, dict[str, str]] = {}
    for item in args.setting:
        key, sep, value = item.partition("=")
        provider, dot, name = key.partition(".")
        if not (sep and dot and provider and name):
            parser.error(f"--setting {item!r}: write PROVIDER.NAME=VALUE")
        extra.setdefault(provider, {})[name] = value
    print(f"load average: {os.getloadavg()[0]:.2f}")
    if not args.startup_only:
        print(f"{'provider':>10} {'raw µs':>8} {'ileti µs':>9} {'ratio':>6}")
        for provider in args.providers.split(","):
            raw, ileti = bench_sends(provider, args.sends, args.rounds, extra.get(provider))
            print(f"{provider:>10} {raw:>8.0f} {ileti:>9.0f} {ileti / raw:>5.2f}x", flush=True)
    startup = bench_startup(args.runs)
    base = startup[0][2]
    print(f"\n{'command':<24} {'min ms':>7} {'median ms':>10} {'ratio':>6}")
    for label, low, median in startup:
        print(f"{label:<24} {low:>7.1f} {median:>10.1f} {median / base:>5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
