"""Assessing a batch of profiles, in worker processes when there are CPUs to spare.

Reading, validating and assessing one profile is independent of every other, and
together they are about three quarters of a batch's time (PyYAML alone, even served
by libyaml, is a third). With more than one CPU, worker processes take the files a
chunk at a time and send back assessments with their what-ifs and plans computed,
while this process reports and renders them in the original order. At most a few
chunks are in flight, so memory stays flat however long the batch. Small batches,
standard input and single-CPU machines stay in one process, where a pool would cost
more than it saves.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from ftadvisor.advice.engine import assess
from ftadvisor.advice.results import Assessment
from ftadvisor.errors import ProfileError
from ftadvisor.profile.load import read_profile, validate
from ftadvisor.profile.yaml import Document, decode, parse

CHUNK = 64
"""Profiles per task: large enough that the pickling round trip is noise."""
MIN_FILES = 4 * CHUNK
"""Below this, starting processes costs more than parsing in this one."""
MAX_WORKERS = 8
"""Rendering stays in this process; past this many workers it is the bottleneck."""


class Item(NamedTuple):
    """One profile of a batch, assessed, or the error that kept it from being assessed."""

    source: str
    """As given on the command line."""
    name: str
    """As reports name it (`<stdin>` for `-`)."""
    document: Document | None
    """Where its keys are; from workers, only the line numbers travel."""
    assessment: Assessment | None
    error: ProfileError | None


def assessed(sources: list[str], jobs: int | None = None) -> Iterator[Item]:
    """Every source loaded and assessed, in the order given.

    `jobs` is the number of worker processes; None picks one per CPU (at most
    `MAX_WORKERS`) when the batch is large enough, and 0 does everything here.
    """
    workers = _workers(jobs, sources)
    if workers == 0:
        for source in sources:
            yield _item(source)
        return
    yield from _in_workers(sources, workers)


def _workers(jobs: int | None, sources: list[str]) -> int:
    if "-" in sources:
        return 0  # standard input belongs to this process
    if jobs is not None:
        return max(0, min(jobs, len(sources) // CHUNK + 1))
    cpus = _cpus()
    if len(sources) < MIN_FILES or cpus < 2:
        return 0
    return min(MAX_WORKERS, cpus)


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the CPUs this process may run on
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _item(source: str) -> Item:
    name = "<stdin>" if source == "-" else str(Path(source))
    try:
        if source == "-":
            loaded = validate(parse(decode(sys.stdin.buffer.read(), name), name), name)
        else:
            loaded = read_profile(name)
    except ProfileError as exc:
        return Item(source, name, None, None, exc)
    return Item(source, name, loaded.document, assess(loaded.profile), None)


def _assess_chunk(sources: list[str]) -> list[Item]:
    # Pickling an assessment computes its what-ifs and plan here, in the worker; of the
    # document only the line numbers are needed where the reports are written.
    items = [_item(source) for source in sources]
    return [
        i._replace(document=Document(None, i.document.lines, {})) if i.document else i
        for i in items
    ]


def _quiet_worker() -> None:
    # Ctrl-C reaches the whole process group; the main process alone reports it.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _in_workers(sources: list[str], workers: int) -> Iterator[Item]:
    import multiprocessing
    from multiprocessing.pool import AsyncResult

    # Fork where there is one: workers start in milliseconds with everything loaded.
    # Elsewhere (macOS, Windows) the platform's default start method is used.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    chunks = iter([sources[i : i + CHUNK] for i in range(0, len(sources), CHUNK)])
    pool = context.Pool(workers, initializer=_quiet_worker)
    pending: deque[AsyncResult[list[Item]]] = deque()
    finished = False
    try:
        for chunk in itertools.islice(chunks, 2 * workers):
            pending.append(pool.apply_async(_assess_chunk, (chunk,)))
        while pending:
            items = pending.popleft().get()
            following = next(chunks, None)
            if following is not None:
                pending.append(pool.apply_async(_assess_chunk, (following,)))
            yield from items
        finished = True
    finally:
        # Interrupted, failed or abandoned: the workers are stopped, not left waiting for
        # work (the process ends with os._exit, which runs no clean-up of its own).
        if finished:
            pool.close()
        else:
            pool.terminate()
        pool.join()
