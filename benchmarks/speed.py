"""Speed budgets: cold start, in-process throughput, and a 10,000-profile batch.

    python benchmarks/speed.py            # all three, with the budgets
    python benchmarks/speed.py --quick    # fewer repetitions

Budgets (issue 10; simplicity wins over the last milliseconds):
  cold start of `ftadvisor assess --profile EXAMPLE --format json` within 1.3x a bare
  `python -c` that imports pydantic and yaml and validates a trivial model;
  in-process `assess()` at 10,000 profiles per second or more on one core;
  10,000 profiles through the CLI (`--format json`, streamed, with workers) in under
  10 s, with peak memory that does not grow with the number of profiles.
Timings are medians of repeated runs on this machine; the README records the latest.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
EXAMPLE = ROOT / "examples" / "invoice-extractor.yaml"
BASELINE = "import pydantic, yaml\nclass M(pydantic.BaseModel):\n    a: int\nM(a=1)\n"


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("ftadvisor")
    return [str(script)] if script.exists() else [sys.executable, "-m", "ftadvisor"]


def _seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    return time.perf_counter() - start


def cold_start(runs: int) -> dict[str, float]:
    command = [*_cli(), "assess", "--profile", str(EXAMPLE), "--format", "json"]
    baseline = [sys.executable, "-c", BASELINE]
    for _ in range(2):  # warm the file cache
        _seconds(command), _seconds(baseline)
    # Alternating, so that a change in the machine's load touches both alike.
    ours, floor = [], []
    for _ in range(runs):
        ours.append(_seconds(command))
        floor.append(_seconds(baseline))
    mine, base = statistics.median(ours), statistics.median(floor)
    return {"ftadvisor_s": mine, "baseline_s": base, "ratio": mine / base}


def throughput(seconds: float) -> dict[str, float]:
    from ftadvisor import assess, load_profile

    profiles = [load_profile(p) for p in EXAMPLES]
    for profile in profiles:
        assess(profile)
    count = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for profile in profiles:
            assess(profile)
        count += len(profiles)
    return {"profiles_per_s": count / elapsed}


def _write_batch(directory: Path, n: int) -> None:
    rng = random.Random(7)
    texts = [p.read_text(encoding="utf-8") for p in EXAMPLES]
    for i in range(n):
        text = texts[i % len(texts)]
        # Vary the tallies so the what-if search does real work on each profile.
        text = text.replace("\n  information: ", f"\n  information: {rng.randint(0, 9)}  # was ", 1)
        (directory / f"p{i:05d}.yaml").write_text(text, encoding="utf-8")


# Runs one command and reports its wall time and the largest peak RSS among its
# processes. A small process of its own, because a child's peak counts the pages it
# shares with its parent at fork: measured from this one, it would include ours.
_MEASURE = """
import resource, subprocess, sys, time
with open(sys.argv[1], "wb") as out:
    start = time.perf_counter()
    code = subprocess.run(sys.argv[2:], stdout=out, stdin=subprocess.DEVNULL).returncode
    elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(code, elapsed, peak)
"""


def batch(n: int, jobs: int | None = None) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "profiles"
        directory.mkdir()
        _write_batch(directory, n)
        command = [*_cli(), "assess", str(directory), "--format", "json"]
        if jobs is not None:
            command += ["--jobs", str(jobs)]
        output = Path(tmp) / "out.json"
        measured = subprocess.run(
            [sys.executable, "-c", _MEASURE, str(output), *command],
            capture_output=True,
            text=True,
            check=True,
        )
        code, elapsed, peak = measured.stdout.split()
        if int(code) not in (0, 1):
            raise SystemExit(f"batch failed ({code}): {measured.stderr[:500]!r}")
        objects = output.read_bytes().count(b'"versions"')
        assert objects == n, (objects, n)
    return {"seconds": float(elapsed), "peak_rss_mb": int(peak) / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    runs = 5 if args.quick else 21
    if (
        shutil.which("ftadvisor") is None
        and not Path(sys.executable).with_name("ftadvisor").exists()
    ):
        print("note: the ftadvisor console script is not installed; timing `python -m ftadvisor`")

    # What `pip install` does: without bytecode (an editable install under
    # PYTHONDONTWRITEBYTECODE), every start would compile ftadvisor's sources again.
    import compileall

    import ftadvisor

    compileall.compile_dir(Path(ftadvisor.__file__).parent, quiet=1)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"machine: {cpus} CPUs, Python {sys.version.split()[0]}, {platform.platform()}")

    cold = cold_start(runs)
    print(
        f"cold start     ftadvisor {cold['ftadvisor_s'] * 1000:6.0f} ms   baseline "
        f"{cold['baseline_s'] * 1000:6.0f} ms   ratio {cold['ratio']:.2f}x   (budget 1.30x)"
    )
    rate = throughput(1.0 if args.quick else 3.0)
    print(
        f"assess()       {rate['profiles_per_s']:,.0f} profiles/s on one core   (budget 10,000/s)"
    )
    small = batch(1_000)
    large = batch(10_000)
    print(
        f"batch 10,000   {large['seconds']:.2f} s, peak RSS {large['peak_rss_mb']:.0f} MB "
        f"(1,000 profiles: {small['seconds']:.2f} s, {small['peak_rss_mb']:.0f} MB)   "
        "(budget 10 s, flat memory)"
    )
    alone = batch(10_000, jobs=0)
    print(
        f"  in one process (--jobs 0): {alone['seconds']:.2f} s, "
        f"peak RSS {alone['peak_rss_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
