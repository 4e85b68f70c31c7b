"""`ftadvisor data` over a 100,000-line chat JSONL: seconds on one core, peak memory.

    python benchmarks/data.py [--lines N]

The file is generated (varied invoice-extraction dialogues, 2% exact and 1% near
duplicates) so that every check does real work; peak RSS is measured in a child
process with glibc told to return freed memory, so that it tracks live data.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = [f"{a}{b}{c}" for a in "bcdfgklmnprst" for b in "aeiou" for c in "lmnrstx"]
"""455 made-up words: a vocabulary wide enough that unrelated texts rarely share runs."""


def generate(path: Path, lines: int) -> None:
    rng = random.Random(7)
    rows = []
    with path.open("w", encoding="utf-8") as out:
        for i in range(lines):
            if rows and rng.random() < 0.02:
                row = rng.choice(rows)
            elif rows and rng.random() < 0.01:  # one word changed: a near duplicate
                row = json.loads(json.dumps(rng.choice(rows)))
                words = row["messages"][1]["content"].split()
                words[rng.randrange(len(words))] = rng.choice(WORDS)
                row["messages"][1]["content"] = " ".join(words)
            else:
                text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 120)))
                row = {
                    "messages": [
                        {"role": "system", "content": "Extract the invoice fields as JSON."},
                        {"role": "user", "content": f"{text} {i}"},
                        {"role": "assistant", "content": json.dumps({"id": i, "total": i * 1.5})},
                    ]
                }
                if len(rows) < 1000:
                    rows.append(row)
            out.write(json.dumps(row) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.jsonl"
        generate(path, args.lines)
        env = {**os.environ, "GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=65536"}
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "ftadvisor", "data", str(path), "--format", "json"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        elapsed = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        doc = json.loads(done.stdout)
        size = path.stat().st_size / 1e6
    print(
        f"data {args.lines:,} lines ({size:.0f} MB): {elapsed:.2f} s, peak RSS {peak_mb:.0f} MB; "
        f"usable {doc['usable']:,}, duplicates {doc['problems']['duplicate']:,}, "
        f"near duplicates {doc['problems']['near_duplicate']:,}"
    )


if __name__ == "__main__":
    main()
