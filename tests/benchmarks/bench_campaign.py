"""Campaign throughput against a raw urllib3 loop, side by side in one run.

Not a pytest test. Run from the repository root::

    .venv/bin/python tests/benchmarks/bench_campaign.py [--sizes 10000,100000,1000000]

For each size it writes a CSV of personalised rows (``to,name,code``), starts
the Efecell emulator in a process of its own on loopback (with credit for
every row), then runs, each in a fresh process:

* **raw**: a plain loop that reads the same CSV, fills the same template and
  POSTs the same batches (the body the Efecell plugin sends, ``--batch-size``
  rows per request: 500, a campaign's default) with one urllib3 pool, one
  request after the other, reading each JSON answer. No store, no checks:
  the floor for any client.
* **ileti**: ``client.campaign(csv, template=...).run(workers=4)`` with the
  default SQLite store in a temporary folder: every row checked, stored,
  claimed before its request and recorded after it.

Each process imports what it needs and warms up before its clock starts: the
raw loop posts one request of one row, ileti runs a campaign of one row
through the same store (so one-off start-up, such as imports, compiled
patterns, the store's schema and the first connection, is not counted;
``bench_send.py`` measures start-up).

It prints rows/s and the ratio ileti/raw, client CPU per row (user + system
time of the client process while it sends, start-up excluded), and the
client's peak RSS. Targets: at least
0.9x the raw loop's rate; peak RSS under 100 MB at 1M rows and flat from 10k
to 1M.

With ``--baseline CHECKOUT`` it also runs ileti as another checkout of this
repository has it (its ``core/src`` first on the path), in the same rounds:
a change measured against what it changes, on the same machine at the same
minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

TEMPLATE = "Sayin {name}, siparisiniz {code} kargoya verildi. Iyi gunler dileriz."
SENDER = "ILETI"

EMULATOR = r"""
import sys
from decimal import Decimal
from ileti import host
from ileti.emulation import VirtualClock, serve
em = host.load_provider("efecell").plugin.provider_emulator(clock=VirtualClock())
em.credit = Decimal(10**12)
with serve(em) as srv:
    print(srv.base_url, em.credentials()["api_key"], flush=True)
    sys.stdin.read()
"""

RAW = r"""
import csv, json, resource, sys, time
import urllib3
path, base_url, key, template, sender, size = sys.argv[1:7]
size = int(size)
pool = urllib3.PoolManager(maxsize=1)
headers = {"Authorization": f"Key {key}", "Accept": "application/json",
           "Content-Type": "application/json"}

def post(batch):
    body = {"originator": sender, "messages": batch, "encoding": "default"}
    r = pool.request("POST", base_url + "/v2/sms/multi", body=json.dumps(body).encode(),
                     headers=headers)
    answer = json.loads(r.data)
    assert r.status == 200 and answer["response"]["message"]["id"], r.data[:200]

post([{"to": "5329999999", "message": template.format(name="Warm", code="K0")}])  # warm-up
before = resource.getrusage(resource.RUSAGE_SELF)
start = time.perf_counter()
sent = 0
batch = []

with open(path, newline="", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        batch.append({"to": row["to"][1:], "message": template.format(**row)})
        if len(batch) == size:
            post(batch); sent += len(batch); batch = []
if batch:
    post(batch); sent += len(batch)
wall = time.perf_counter() - start
use = resource.getrusage(resource.RUSAGE_SELF)
cpu = use.ru_utime + use.ru_stime - before.ru_utime - before.ru_stime
print(json.dumps({"rows": sent, "wall": wall, "cpu": cpu,
                  "rss_mb": use.ru_maxrss / 1024}))
"""

ILETI = r"""
import json, resource, sys, time
import ileti.campaign
from ileti import Client
path, base_url, key, template, sender, size, store = sys.argv[1:8]
client = Client("efecell", base_url=base_url, api_key=key, sender=sender, pool_size=4)
client.transport  # urllib3 imported before the clock starts, as the raw loop's is
client.campaign(  # warm-up: one row through the same store, as the raw loop's one request
    path + ".warm", template=template, store=store, encoding="gsm7", batch_size=int(size)
).run(workers=4)
before = resource.getrusage(resource.RUSAGE_SELF)
start = time.perf_counter()
campaign = client.campaign(
    path, template=template, store=store, encoding="gsm7", batch_size=int(size)
)
status = campaign.run(workers=4)
wall = time.perf_counter() - start
use = resource.getrusage(resource.RUSAGE_SELF)
assert status.count("accepted") == status.rows, status.to_dict()
cpu = use.ru_utime + use.ru_stime - before.ru_utime - before.ru_stime
print(json.dumps({"rows": status.count("accepted"), "wall": wall,
                  "cpu": cpu, "rss_mb": use.ru_maxrss / 1024}))
"""


PHASES = r"""
import json, resource, sys, time
import ileti.campaign
from ileti import Client
path, base_url, key, template, sender, size, store = sys.argv[1:8]
client = Client("efecell", base_url=base_url, api_key=key, sender=sender, pool_size=4)
client.campaign(
    path + ".warm", template=template, store=store, encoding="gsm7", batch_size=int(size)
).run(workers=4)
def cpu():
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime
campaign = client.campaign(
    path, template=template, store=store, encoding="gsm7", batch_size=int(size)
)
c0, t0 = cpu(), time.perf_counter()
campaign.import_rows()
c1, t1 = cpu(), time.perf_counter()
status = campaign.run(workers=4)
c2, t2 = cpu(), time.perf_counter()
assert status.count("accepted") == status.rows, status.to_dict()
n = status.rows
print(json.dumps({"rows": n, "import_cpu": (c1 - c0) / n, "import_wall": (t1 - t0) / n,
                  "send_cpu": (c2 - c1) / n, "send_wall": (t2 - t1) / n}))
"""


def write_rows(path: Path, n: int) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write("to,name,code\n")
        for i in range(n):
            out.write(f"0532{i:07d},Musteri {i},K{i:07d}\n")
    # the warm-up's one row (a number none of the rows has)
    Path(f"{path}.warm").write_text("to,name,code\n05339999999,Warm,K0\n", encoding="utf-8")


def run(code: str, *args: str, core: Path | None = None) -> dict[str, float]:
    """Run ``code`` in a fresh process; with ``core``, the ``ileti`` it
    imports is the one in that folder (another checkout's ``core/src``)."""
    env = None
    if core is not None:
        env = {
            **os.environ,
            # (no empty entry when PYTHONPATH is unset: an empty one is the current folder)
            "PYTHONPATH": os.pathsep.join(filter(None, [str(core), os.environ.get("PYTHONPATH")])),
        }
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False, env=env
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark process failed:\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--batch-size", type=int, default=500, help="rows per request")
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="raw and ileti this many times each, alternately, per size; then the median "
        "ratio (one run's ratio moves by a third on a shared machine)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="CHECKOUT",
        help="also run ileti as another checkout of this repository has it (its core/src "
        "first on the path; the plugins are this checkout's), alternately with the others: "
        "a change measured against what it changes",
    )
    parser.add_argument(
        "--phases",
        action="store_true",
        help="also run ileti importing first, then sending, and print each phase's client "
        "CPU and wall time per row",
    )
    args = parser.parse_args()
    if args.baseline is not None and not (args.baseline / "core" / "src" / "ileti").is_dir():
        parser.error(f"--baseline {args.baseline}: no core/src/ileti there (give a checkout)")
    sizes = [int(s) for s in args.sizes.split(",")]
    folder = Path(tempfile.mkdtemp(prefix="ileti-bench-"))
    try:
        return _measure(folder, sizes, args)
    finally:  # the stores of a million rows take hundreds of MB
        shutil.rmtree(folder, ignore_errors=True)


def _one_run(
    folder: Path, csv_path: Path, n: int, run_no: int, args: argparse.Namespace
) -> dict[str, float]:
    """One run of raw, ileti (the baseline, the phases) at ``n`` rows: prints
    them, returns the ratio to raw of ileti (and of the baseline)."""
    results = {}
    names = ["raw", "ileti"]
    if args.baseline is not None:
        names.append("base")
    if args.phases:
        names.append("phases")
    for name in names:  # a fresh emulator for each, so none pays for another
        emulator = subprocess.Popen(
            [sys.executable, "-c", EMULATOR],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert emulator.stdout is not None
        assert emulator.stdin is not None
        base_url, key = emulator.stdout.readline().split()
        try:
            common = (str(csv_path), base_url, key, TEMPLATE, SENDER, str(args.batch_size))
            if name == "raw":
                results[name] = run(RAW, *common)
            else:
                store = str(folder / f"store-{n}-{name}-{run_no}.sqlite3")
                code = PHASES if name == "phases" else ILETI
                core = args.baseline / "core" / "src" if name == "base" else None
                results[name] = run(code, *common, store, core=core)
                for leftover in folder.glob(f"store-{n}-{name}-{run_no}.sqlite3*"):
                    leftover.unlink()  # a million rows' store takes hundreds of MB
        finally:
            emulator.stdin.close()
            emulator.wait(timeout=60)
    raw_rate = results["raw"]["rows"] / results["raw"]["wall"]
    for name in [n for n in names if n != "phases"]:
        r = results[name]
        rate = r["rows"] / r["wall"]
        print(
            f"{n:>9} {name:>6} {rate:>9.0f} {rate / raw_rate:>5.2f}x "
            f"{r['cpu'] / r['rows'] * 1e6:>11.1f} {r['rss_mb']:>7.1f}MB",
            flush=True,
        )
    if args.phases:
        p = results["phases"]
        print(
            f"{n:>9} phases: import {p['import_cpu'] * 1e6:.1f} µs CPU/row "
            f"({p['import_wall'] * 1e6:.1f} wall), then send {p['send_cpu'] * 1e6:.1f} "
            f"µs CPU/row ({p['send_wall'] * 1e6:.1f} wall)",
            flush=True,
        )
    return {
        name: float(results[name]["rows"] / results[name]["wall"] / raw_rate)
        for name in ("ileti", "base")
        if name in results
    }


def _measure(folder: Path, sizes: list[int], args: argparse.Namespace) -> int:
    print(
        f"{'rows':>9} {'client':>6} {'rows/s':>9} {'ratio':>6} {'CPU µs/row':>11} {'peak RSS':>9}"
    )
    for n in sizes:
        csv_path = folder / f"rows-{n}.csv"
        write_rows(csv_path, n)
        ratios: dict[str, list[float]] = {}
        for run_no in range(args.runs):
            for name, ratio in _one_run(folder, csv_path, n, run_no, args).items():
                ratios.setdefault(name, []).append(ratio)
        if args.runs > 1:
            for name, found in ratios.items():
                found.sort()
                middle = statistics.median(found)
                print(
                    f"{n:>9} median ratio of {args.runs} runs ({name}): {middle:.2f}x "
                    f"({found[0]:.2f}x to {found[-1]:.2f}x)",
                    flush=True,
                )
        os.unlink(csv_path)
        os.unlink(f"{csv_path}.warm")
    return 0


if __name__ == "__main__":
    sys.exit(main())
