"""An ordered map over worker processes, for the pipeline's large batches.

Reading, validating and assessing one profile is independent of every other, and
together they are most of a batch's time. With more than one CPU, worker processes
take the inputs a chunk at a time and send back finished reports, while the calling
process renders them in the original order. At most a few chunks are in flight, so
memory stays flat however long the batch. Small batches, standard input and
single-CPU machines stay in one process, where a pool would cost more than it saves.
"""

import itertools
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from multiprocessing.pool import Pool

CHUNK = 64
"""Inputs per task: large enough that the pickling round trip is noise."""
MIN_ITEMS = 4 * CHUNK
"""Below this, starting processes costs more than working in this one."""
MAX_WORKERS = 8
"""Rendering stays in the calling process; past this many workers it is the bottleneck."""

T = TypeVar("T")
R = TypeVar("R")


def workers(jobs: int | None, items: int, *, local_only: bool = False) -> int:
    """How many worker processes suit `items` inputs.

    `jobs` None picks one per CPU (at most `MAX_WORKERS`) when the batch is large
    enough; 0 means none. `local_only` inputs (standard input) never leave this process.
    """
    if local_only:
        return 0
    if jobs is not None:
        return max(0, min(jobs, items // CHUNK + 1))
    cpus = _cpus()
    if items < MIN_ITEMS or cpus < 2:
        return 0
    return min(MAX_WORKERS, cpus)


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the CPUs this process may run on
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def ordered_map(
    work: Callable[[list[T]], list[R]], items: Sequence[T], processes: int
) -> Iterator[R]:
    """`work` applied to `items` a chunk at a time, results in order; `processes` 0 runs
    everything here. `work` must be picklable (a module-level function or a partial)."""
    if processes == 0:
        for item in items:
            yield from work([item])
        return
    import multiprocessing
    from multiprocessing.pool import AsyncResult

    # Fork where there is one: workers start in milliseconds with everything loaded.
    # Elsewhere (macOS, Windows) the platform's default start method is used.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    chunks = iter([list(items[i : i + CHUNK]) for i in range(0, len(items), CHUNK)])
    pool = context.Pool(processes, initializer=_quiet_worker)
    pending: deque[AsyncResult[list[R]]] = deque()
    finished = False
    try:
        for chunk in itertools.islice(chunks, 2 * processes):
            pending.append(pool.apply_async(work, (chunk,)))
        while pending:
            results = pending.popleft().get()
            following = next(chunks, None)
            if following is not None:
                pending.append(pool.apply_async(work, (following,)))
            yield from results
        finished = True
    finally:
        # Interrupted, failed or abandoned: the workers are stopped, not left waiting for
        # work (the process ends with os._exit, which runs no clean-up of its own).
        if finished:
            pool.close()
            pool.join()
        else:
            _stop(pool)


STOP_SECONDS = 5.0
"""How long an interrupted batch waits for its pool to stop."""


def _stop(pool: "Pool") -> None:
    """Terminate the pool, giving up after `STOP_SECONDS`: `Pool.terminate` can block for
    good when results fill the pipe that it must write its own sentinel to. Its threads
    are daemons, and orphaned workers end on the broken pipe once this process exits."""
    import threading

    def stop() -> None:
        pool.terminate()
        pool.join()

    stopper = threading.Thread(target=stop, daemon=True, name="ftadvisor-pool-stop")
    stopper.start()
    stopper.join(STOP_SECONDS)


def _quiet_worker() -> None:
    """Workers leave reporting to the calling process: Ctrl-C reaches the whole process
    group, and an error in the work travels back with its result. What is left for a
    worker's own standard error is the pool's noise when the caller is gone (killed by
    SIGTERM or SIGKILL, say), a BrokenPipeError traceback per worker; it goes nowhere."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except OSError:
        pass
