"""`ftadvisor tally` over a 50,000-row promptfoo JSONL: seconds on one core, peak memory.

    python benchmarks/tally.py [--rows N]

The rows are the real rows of `tests/fixtures/evals/promptfoo/results.jsonl` (written
by promptfoo itself), repeated with new test indices so that every row is a case of
its own; peak RSS is measured in a child process with glibc told to return freed
memory, so that it tracks live data. The same rows as a 1,000-row file give the
start-up cost, which the per-row figure leaves out.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIXTURE = Path(__file__).parent.parent / "tests/fixtures/evals/promptfoo/results.jsonl"


def generate(path: Path, rows: int) -> None:
    real = [json.loads(line) for line in FIXTURE.read_text().splitlines() if line.strip()]
    tests = 1 + max(r["testIdx"] for r in real)
    with path.open("w", encoding="utf-8") as out:
        for i in range(rows):
            row = real[i % len(real)]
            row["testIdx"] = (i // len(real)) * tests + row["testIdx"] % tests
            out.write(json.dumps(row) + "\n")


def run(path: Path) -> tuple[float, dict[str, object]]:
    env = {**os.environ, "GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=65536"}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "ftadvisor", "tally", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return time.perf_counter() - start, json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small, large = Path(tmp) / "small.jsonl", Path(tmp) / "results.jsonl"
        generate(small, 1_000)
        generate(large, args.rows)
        base, _ = run(small)
        elapsed, doc = run(large)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        size = large.stat().st_size / 1e6
    (source,) = doc["inputs"]  # type: ignore[misc]
    print(
        f"tally {args.rows:,} promptfoo rows ({size:.0f} MB): {elapsed:.2f} s "
        f"(1,000 rows: {base:.2f} s), peak RSS {peak_mb:.0f} MB; {source['tests']:,} cases, "
        f"failures {doc['failures']}"
    )


if __name__ == "__main__":
    main()
