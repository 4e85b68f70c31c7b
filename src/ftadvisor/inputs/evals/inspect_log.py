"""Inspect AI logs: `.json` (`--log-format json`) and `.eval` archives (a zip of
`header.json` and one `samples/<id>_epoch_<n>.json` member per sample).

A sample failed each scorer in its `scores` whose value is incorrect: `I` (incorrect)
or `N` (no answer), false, 0, or a number below the scorer's `--threshold` (default
0.5; `P`, partial credit, is 0.5). A scorer that returns a dict of values is one check
per key (`scorer.key`). A sample with an `error` is excluded, and the epochs of one
sample are one test case. Archives are read a member at a time; members compressed
with Zstandard (what recent Inspect versions write) need the `zstandard` package (the
`evals` extra): Python 3.11's `zipfile` cannot open them.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ftadvisor.errors import UserError
from ftadvisor.inputs.evals.results import Options, Row
from ftadvisor.inputs.evals.source import (
    MAX_FILE_BYTES,
    document,
    expect,
    head,
    loads,
    opened,
)

NAME = "inspect"
ZIP_MAGIC = b"PK\x03\x04"
ZSTANDARD = 93
"""The zip compression method number of Zstandard (APPNOTE 4.4.5)."""
MAX_MEMBER_BYTES = 64 * 1024 * 1024
LETTERS = {"C": 1.0, "I": 0.0, "N": 0.0, "P": 0.5}
"""Inspect's CORRECT, INCORRECT, NOANSWER and PARTIAL, as its `value_to_float` reads them."""
DEFAULT_THRESHOLD = 0.5


def claims(path: Path, head: bytes) -> bool:
    if head.startswith(ZIP_MAGIC):
        return path.suffix.lower() == ".eval" or b"header.json" in head
    start = head.lstrip()
    return start.startswith(b"{") and b'"eval"' in head and b'"task"' in head


def _value(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        if value.upper() in LETTERS:
            return LETTERS[value.upper()]
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _sample(sample: Any, where: str, options: Options) -> Row:
    expect(isinstance(sample, dict), where, "a sample (an object)")
    identity = (str(sample.get("id")),)
    if sample.get("error"):
        return Row(identity, errored=True)
    scores = sample.get("scores") or {}
    expect(isinstance(scores, dict), f"{where}.scores", "an object of scores by scorer")
    failed = set()
    for scorer, score in scores.items():
        value = score.get("value") if isinstance(score, dict) else score
        values = value if isinstance(value, dict) else {None: value}
        for part, item in values.items():
            name = str(scorer) if part is None else f"{scorer}.{part}"
            number = _value(item)
            if number is None:
                continue
            if number < options.thresholds.get(name, DEFAULT_THRESHOLD):
                failed.add(name)
    return Row(identity, frozenset(failed), errored=not scores)


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> bytes:
    where = f"{path}: member {info.filename}"
    if info.file_size > MAX_MEMBER_BYTES:
        raise UserError(f"{where}: {info.file_size:,} bytes, more than {MAX_MEMBER_BYTES:,}")
    if info.compress_type != ZSTANDARD:
        try:
            with archive.open(info) as member:
                data = member.read(MAX_MEMBER_BYTES + 1)
        except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError) as exc:
            raise UserError(f"{where}: cannot be read: {exc}") from None
        if len(data) > MAX_MEMBER_BYTES:  # its header understated its size
            raise UserError(f"{where}: unpacks to more than {MAX_MEMBER_BYTES:,} bytes")
        return data
    try:
        import zstandard
    except ImportError:
        raise UserError(
            f"{where}: compressed with Zstandard, which needs the `zstandard` package: "
            "pip install 'ftadvisor[evals]', or convert the log with "
            "`inspect log convert --to json`"
        ) from None
    raw = _raw_member(archive, info, where)
    try:
        return zstandard.ZstdDecompressor().decompress(raw, max_output_size=MAX_MEMBER_BYTES)
    except zstandard.ZstdError as exc:
        raise UserError(f"{where}: not valid Zstandard data: {exc}") from None


def _raw_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> bytes:
    """A member's compressed bytes, read past its local header (zipfile will not)."""
    handle = archive.fp
    assert handle is not None
    handle.seek(info.header_offset)
    header = handle.read(30)
    if len(header) != 30 or header[:4] != ZIP_MAGIC:
        raise UserError(f"{where}: its local header is damaged")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    handle.seek(info.header_offset + 30 + name_length + extra_length)
    raw = handle.read(info.compress_size)
    if len(raw) != info.compress_size:
        raise UserError(f"{where}: cut short")
    return raw


def _archive_samples(path: Path, options: Options) -> Iterator[Row]:
    with opened(path) as handle:
        try:
            archive = zipfile.ZipFile(handle)
        except zipfile.BadZipFile as exc:
            raise UserError(f"{path}: not a readable .eval archive: {exc}") from None
        with archive:
            members = [
                i
                for i in archive.infolist()
                if i.filename.startswith("samples/") and i.filename.endswith(".json")
            ]
            if not members and "header.json" not in archive.namelist():
                raise UserError(f"{path}: not an Inspect log (no header.json, no samples/)")
            if sum(i.file_size for i in members) > 4 * MAX_FILE_BYTES:
                raise UserError(
                    f"{path}: its samples unpack to more than {4 * MAX_FILE_BYTES:,} bytes"
                )
            for info in members:
                where = f"{path}: member {info.filename}"
                yield _sample(loads(_member(archive, info, path), where), where, options)


def read(path: Path, options: Options) -> Iterator[Row]:
    if head(path).startswith(ZIP_MAGIC):
        yield from _archive_samples(path, options)
        return
    data = document(path)
    expect(isinstance(data, dict) and "eval" in data, str(path), "an Inspect log (with `eval`)")
    samples = data.get("samples")
    if samples is None:
        raise UserError(
            f"{path}: this Inspect log holds no samples (status {data.get('status')!r}); "
            "write logs with samples (the default) to tally them"
        )
    expect(isinstance(samples, list), f"{path}: samples", "a list")
    for number, sample in enumerate(samples):
        yield _sample(sample, f"{path}: samples[{number}]", options)
