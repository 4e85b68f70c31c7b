"""Reading a results file the way every reader must: a regular file, refused before
reading when it is larger than `MAX_FILE_BYTES`, JSON Lines streamed a line at a time,
and every error naming the file and the line (or row, or member)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from ftadvisor.errors import UserError
from ftadvisor.files import opened_input, read_at_most

MAX_FILE_BYTES = 200 * 1024 * 1024
HEAD_BYTES = 64 * 1024
"""How much of a file format detection looks at."""


def opened(path: Path) -> contextlib.AbstractContextManager[BinaryIO]:
    return opened_input(path, MAX_FILE_BYTES, "a results file")


def head(path: Path) -> bytes:
    with opened(path) as handle:
        return read_at_most(handle, HEAD_BYTES - 1)


def loads(text: str | bytes, where: str, line: int = 1) -> Any:
    """JSON text that starts on `line` of `where`."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        at = line + exc.lineno - 1
        raise UserError(f"{where}:{at}: not valid JSON: {exc.msg}") from None
    except UnicodeDecodeError as exc:
        raise UserError(f"{where}: not UTF-8 (byte {exc.start})") from None
    except RecursionError:
        raise UserError(f"{where}: JSON nested too deeply to read") from None


def document(path: Path) -> Any:
    """A whole JSON file (JSON documents cannot be streamed with the standard library;
    the size limit bounds them)."""
    with opened(path) as handle:
        raw = read_at_most(handle, MAX_FILE_BYTES)
    return loads(raw, str(path))


def json_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each non-empty line of a JSON Lines file, as an object, with its line number."""
    with opened(path) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            record = loads(line, str(path), number)
            if not isinstance(record, dict):
                raise UserError(f"{path}:{number}: expected a JSON object on each line")
            yield number, record


def expect(condition: bool, where: str, what: str) -> None:
    """A structural check: `where` (file and line, or row, or member) needs `what`."""
    if not condition:
        raise UserError(f"{where}: expected {what}")
