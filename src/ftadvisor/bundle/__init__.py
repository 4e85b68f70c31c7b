"""Parsed copies of the packaged YAML, so that a start-up skips the YAML parser.

Reading the 43 packaged YAML files (rules, sources, presets, questions) through the
YAML parser costs about 15 ms, more than a tenth of a cold start; loading the same data
from JSON costs under 1 ms. The YAML stays the one place each fact is stated:
`bundle.json` maps a fingerprint of a file's bytes to the data parsed from them, so a
file that is edited, or one the bundle never saw (a custom rules directory), simply
misses and goes through the YAML parser as before. A stale bundle costs speed, never
correctness, and a test fails while the committed bundle is stale.

    python -m ftadvisor.bundle     # regenerate src/ftadvisor/bundle/bundle.json
"""

from __future__ import annotations

import functools
import json
import zlib
from pathlib import Path
from typing import Any

from ftadvisor.profile.yaml import parse

BUNDLE = Path(__file__).with_name("bundle.json")
FORMAT = 2


def fingerprint(raw: bytes) -> str:
    """CRC-32 and length of a file's bytes: a cache key, not a security measure (zlib is
    loaded anyway, where hashlib would add milliseconds to every start)."""
    return f"{zlib.crc32(raw):08x}-{len(raw)}"


@functools.cache
def _entries() -> dict[str, Any]:
    try:
        document = json.loads(BUNDLE.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return {}
    entries = document.get("entries")
    return entries if isinstance(entries, dict) else {}


_MISS = object()


def parsed(raw: bytes, filename: str) -> tuple[Any, bool]:
    """The data of a packaged YAML file's bytes, and whether it came from the bundle.

    Data from the bundle is shared by every caller in the process: read it, copy what
    you keep, never change it (decoding a copy per call would double the bundle's
    cost). Bytes the bundle does not know go through the YAML parser, whose
    `ProfileError` names the file and line.
    """
    data = _entries().get(fingerprint(raw), _MISS)
    if data is not _MISS:
        return data, True
    return parse(raw.decode("utf-8"), filename).data, False
