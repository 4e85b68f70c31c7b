"""Writing files so that a crash or Ctrl-C never leaves one half-written."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from ftadvisor.errors import UserError


def write_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write `text` to `path` through a temporary file and a rename.

    The old file, if any, stays intact until the new content is complete on disk; its
    permission bits carry over, and a new file gets the usual bits for the user's umask
    rather than the owner-only ones `mkstemp` gives its temporary file.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path()
    try:
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask()
        fd, name = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise UserError(f"{target}: cannot write: {exc.strerror or exc}") from None
    temp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        temp.chmod(mode)
        temp.replace(target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        if isinstance(exc, OSError):
            raise UserError(f"{target}: cannot write: {exc.strerror or exc}") from None
        raise
    return target


def _umask() -> int:
    # Reading the umask means setting it; ftadvisor writes from one thread only.
    current = os.umask(0o022)
    os.umask(current)
    return current
