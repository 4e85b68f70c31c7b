"""Reading and writing files so that nothing hangs, nothing is read without bound, and
a crash or Ctrl-C never leaves a file half-written or replaces one it should not."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from ftadvisor.errors import UserError


class ReadError(OSError):
    """An input that cannot be read, with the reason in words (`strerror`)."""


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """A regular file opened for reading. Opened without blocking: a FIFO with no
    writer, a device or a socket is refused at once instead of hanging or streaming
    forever; a directory or a name too long is an `OSError` that says so."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise ReadError(exc.errno, "file name too long") from None
        raise
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "is a directory")
        if not stat.S_ISREG(mode):
            raise ReadError(errno.EINVAL, "not a regular file (a device, pipe or socket)")
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


@contextlib.contextmanager
def opened_input(path: Path, limit: int, what: str) -> Iterator[BinaryIO]:
    """A regular input file (`open_regular`), refused with a `UserError` that names it
    when it cannot be read or is over `limit` bytes, before anything is read."""
    try:
        handle = open_regular(path)
    except OSError as exc:
        raise UserError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    with handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise UserError(f"{path}: {size:,} bytes, more than the {limit:,} {what} may have here")
        yield handle


def read_bounded(path: str | os.PathLike[str], limit: int) -> bytes:
    """At most `limit` + 1 bytes of a regular file (`open_regular`), so that a caller
    can tell "too large" without reading it all."""
    with open_regular(path) as handle:
        return read_at_most(handle, limit)


def read_at_most(stream: BinaryIO, limit: int) -> bytes:
    """At most `limit` + 1 bytes from an open stream (standard input, say)."""
    chunks: list[bytes] = []
    left = limit + 1
    while left > 0:
        chunk = stream.read(min(left, 1 << 16))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def refuse_output_onto_inputs(
    output: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]]
) -> None:
    """Exit 2 rather than replace an input with the report: the output may name an
    input by another path (`./sub/../p.yaml`, a symlink, a hard link) or lie inside an
    input directory."""
    target = Path(os.path.realpath(output))
    for given in inputs:
        source = Path(os.path.realpath(given))
        same = target == source
        if not same and target.exists() and source.exists():
            with contextlib.suppress(OSError):
                same = target.samefile(source)
        if same:
            raise UserError(f"--output {output}: is the input {given}; choose another file")
        if source.is_dir() and source in target.parents:
            raise UserError(
                f"--output {output}: is inside the input directory {given}, where a report "
                "could be read back as a profile; choose a file elsewhere"
            )


def write_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write `text` to `path` through a temporary file and a rename.

    The old file, if any, stays intact until the new content is complete on disk; its
    permission bits carry over, and a new file gets the usual bits for the user's umask
    rather than the owner-only ones `mkstemp` gives its temporary file. A read-only file
    is refused, a symlink keeps pointing at the file it names, and a device or pipe
    (`/dev/null`, `/dev/full`) is written in place, its errors reported.
    """
    target = Path(path)
    try:
        existing = target.stat()
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise UserError(f"{target}: cannot write: {exc.strerror or exc}") from None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        if stat.S_ISDIR(existing.st_mode):
            raise UserError(f"{target}: cannot write: is a directory")
        _write_in_place(target, text)  # a device or pipe: replacing it would destroy it
        return target
    if existing is not None and not existing.st_mode & 0o222:  # even root is told
        raise UserError(f"{target}: cannot write: the file is read-only")
    if target.is_symlink():
        target = Path(os.path.realpath(target))  # replace what the link names, keep the link
    directory = target.parent if str(target.parent) else Path()
    try:
        mode = existing.st_mode & 0o777 if existing is not None else 0o666 & ~_umask()
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
    return Path(path)


def _write_in_place(target: Path, text: str) -> None:
    try:
        with target.open("w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
    except OSError as exc:
        raise UserError(f"{target}: cannot write: {exc.strerror or exc}") from None


def _umask() -> int:
    # Reading the umask means setting it; ftadvisor writes from one thread only.
    current = os.umask(0o022)
    os.umask(current)
    return current
