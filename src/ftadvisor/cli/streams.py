"""Standard streams as a command line finds them: closed, piped to a reader that goes
away, or unable to encode the report's symbols (`PYTHONIOENCODING=ascii`, a C locale)."""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import sys
from pathlib import Path

ASCII_FALLBACK = {
    "✔": "+",
    "✖": "x",
    "▶": ">",
    "○": "o",
    "·": "-",
    "•": "*",
    "—": "-",
    "–": "-",
    "→": "->",
    "⚠": "!",
    "ℹ": "i",
    "█": "#",
    "░": ".",
    "≥": ">=",
    "≤": "<=",
    "×": "x",
    "…": "...",
    "─": "-",
    "\u00a0": " ",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "²": "2",
}
"""ASCII stand-ins for the symbols reports use; anything else becomes `?`."""
_HANDLER = "ftadvisor-ascii"
_PROBE = "".join(ASCII_FALLBACK)


def _fallback(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeEncodeError)
    text = error.object[error.start : error.end]
    return "".join(ASCII_FALLBACK.get(c, "?") for c in text), error.end


def prepare() -> None:
    """Make the streams safe to print to: a closed standard error becomes a sink (the
    exit status still tells), and a stream that cannot encode the symbols writes their
    ASCII stand-ins instead of failing."""
    if sys.stderr is None:
        sys.stderr = Path(os.devnull).open("w", encoding="utf-8")  # noqa: SIM115
    try:
        codecs.lookup_error(_HANDLER)
    except LookupError:
        codecs.register_error(_HANDLER, _fallback)
    _reconfigure()


def _reconfigure() -> None:
    for stream in (sys.stdout, sys.stderr):
        if stream is None or not isinstance(stream, io.TextIOWrapper):
            continue
        try:
            _PROBE.encode(stream.encoding)
        except UnicodeEncodeError:
            stream.reconfigure(errors=_HANDLER)
        except LookupError:
            pass


def reader_gone() -> None:
    """The reader of standard output went away (`ftadvisor … | head`): nothing more
    can reach it, so later writes and the final flush go nowhere instead of failing."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
