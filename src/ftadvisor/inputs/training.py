"""The reader of training data: how many examples a team could really train on.

A JSONL file in one of the common finetuning formats (chat `messages` as OpenAI and
TRL take them, `prompt`/`completion`, `text`, Alpaca, ShareGPT) is streamed line by
line and checked the way OpenAI's data-preparation guide checks a file: malformed
lines, format errors, empty outputs, duplicates and near duplicates, examples too long,
examples that leak into the evaluation set. What is left is the count that decides
the readiness gate, and the example lengths give the plan its sequence length.

Nothing in a file is executed; nothing is downloaded. Token counts are exact only with
a `tokenizer.json` and the optional `tokenizers` package, otherwise characters ÷ 4 and
labelled approximate.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import json
import math
import os
import re
import typing
import zlib
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from ftadvisor.errors import UserError
from ftadvisor.files import opened_input
from ftadvisor.inputs.base import ProfileData
from ftadvisor.profile.yaml import Document

MAX_FILE_BYTES = 200 * 1024 * 1024
"""Training files above this are refused before reading; split or sample them."""
MAX_LINE_BYTES = 1024 * 1024
SHOWN_LINES = 5
"""Line numbers reported per problem kind."""
NEAR_DUPLICATE = 0.8
"""Shingled Jaccard similarity at and above which two examples are near duplicates."""
SHINGLE_WORDS = 3
MAX_CANDIDATES = 20
"""Examples compared per bucket: bounds the near-duplicate work on large files."""
LABEL_SET = 20
"""Outputs from at most this many distinct values make the data classification-like."""
SEQ_LEN_STEP = 128

Format = Literal["chat", "prompt_completion", "text", "alpaca", "sharegpt"]
FORMATS: tuple[Format, ...] = typing.get_args(Format)
Problem = Literal[
    "malformed",
    "format_error",
    "empty_output",
    "duplicate",
    "near_duplicate",
    "too_long",
    "in_eval_set",
]
PROBLEMS: tuple[Problem, ...] = typing.get_args(Problem)
_ROLES = {"system", "user", "assistant", "tool", "function", "developer"}
_MESSAGE_KEYS = {"role", "content", "name", "weight", "tool_calls", "tool_call_id", "function_call"}
_CHAT_KEYS = {"messages", "tools", "parallel_tool_calls", "functions"}
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")


class _FormatError(ValueError):
    pass


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Tokens:
    method: Literal["approximate", "exact"]
    total: int
    p50: int
    p95: int
    max: int


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class DataReport:
    """What a training file holds, and how much of it is usable."""

    path: str
    format: Format | None
    records: int
    usable: int
    problems: dict[str, int]
    lines: dict[str, tuple[int, ...]]
    """The first few line numbers of each kind of problem."""
    tokens: Tokens | None
    labels: dict[str, int] | None
    """Outputs and their counts, when they come from a small closed set."""

    @property
    def seq_len(self) -> int | None:
        """The 95th-percentile example length, rounded up to a multiple of 128."""
        if self.tokens is None or self.tokens.p95 == 0:
            return None
        return math.ceil(self.tokens.p95 / SEQ_LEN_STEP) * SEQ_LEN_STEP

    def document(self) -> dict[str, Any]:
        """The `ftadvisor data --format json` shape."""
        return {
            "path": self.path,
            "format": self.format,
            "records": self.records,
            "usable": self.usable,
            "problems": dict(self.problems),
            "problem_lines": {k: list(v) for k, v in self.lines.items() if v},
            "tokens": dataclasses.asdict(self.tokens) if self.tokens else None,
            "seq_len": self.seq_len,
            "labels": self.labels,
        }


def _detect(record: dict[str, Any]) -> Format:
    if "messages" in record:
        return "chat"
    if "conversations" in record:
        return "sharegpt"
    if "prompt" in record or "completion" in record:
        return "prompt_completion"
    if "instruction" in record or "output" in record:
        return "alpaca"
    if "text" in record:
        return "text"
    raise _FormatError("no messages, prompt/completion, text, instruction/output or conversations")


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # content parts: [{"type": "text", "text": ...}]
        return " ".join(
            part.get("text", "") if isinstance(part, dict) else str(part) for part in value
        )
    raise _FormatError("content is not text")


def _messages(
    messages: Any, role_key: str, content_key: str, roles: dict[str, str]
) -> tuple[str, str]:
    if not isinstance(messages, list) or not messages:
        raise _FormatError("missing message list")
    inputs: list[str] = []
    outputs: list[str] = []
    for message in messages:
        if not isinstance(message, dict):
            raise _FormatError("a message is not an object")
        if role_key == "role" and set(message) - _MESSAGE_KEYS:
            raise _FormatError(f"unknown message keys {sorted(set(message) - _MESSAGE_KEYS)}")
        role = roles.get(str(message.get(role_key)), str(message.get(role_key)))
        if role not in _ROLES:
            raise _FormatError(f"unknown role {message.get(role_key)!r}")
        if content_key not in message and not message.get("tool_calls"):
            raise _FormatError("a message has no content")
        content = _text(message.get(content_key) or "")
        (outputs if role == "assistant" else inputs).append(content)
    if not outputs:
        raise _FormatError("no assistant message")
    return "\n".join(inputs), "\n".join(outputs)


_SHAREGPT_ROLES = {"human": "user", "gpt": "assistant", "system": "system", "user": "user"}


def _example(record: Any, fmt: Format) -> tuple[str, str]:
    """(input, output) of one record in `fmt`, or a `_FormatError`."""
    if not isinstance(record, dict):
        raise _FormatError("a line is not a JSON object")
    if fmt == "chat":
        unknown = set(record) - _CHAT_KEYS
        if unknown:
            raise _FormatError(f"unknown keys {sorted(unknown)}")
        return _messages(record.get("messages"), "role", "content", {})
    if fmt == "sharegpt":
        return _messages(record.get("conversations"), "from", "value", _SHAREGPT_ROLES)
    if fmt == "prompt_completion":
        if "prompt" not in record or "completion" not in record:
            raise _FormatError("prompt and completion go together")
        prompt, completion = record["prompt"], record["completion"]
        if isinstance(prompt, list) or isinstance(completion, list):
            given = [
                m for part in (prompt, completion) for m in (part if isinstance(part, list) else [])
            ]
            return _messages(given, "role", "content", {})
        return _text(prompt), _text(completion)
    if fmt == "alpaca":
        if "instruction" not in record or "output" not in record:
            raise _FormatError("instruction and output go together")
        prompt = _text(record["instruction"]) + "\n" + _text(record.get("input") or "")
        return prompt.strip(), _text(record["output"])
    return "", _text(record.get("text"))


def _normal(text: str) -> str:
    return _SPACE.sub(" ", text).strip().lower()


def _shingles(text: str) -> frozenset[int]:
    """32-bit hashes of the text's overlapping three-word runs. Deterministic (CRC-32
    per word, combined), so that a file gets the same answer on every run, unlike
    Python's salted `hash`."""
    words = [zlib.crc32(w.encode()) for w in _WORD.findall(text.lower())]
    if len(words) < SHINGLE_WORDS:
        return frozenset({zlib.crc32(repr(words).encode())})
    return frozenset(
        ((a * 0x01000193) ^ (b * 0x9E3779B1) ^ (c * 0x85EBCA6B)) & 0xFFFFFFFF
        for a, b, c in zip(words, words[1:], words[2:], strict=False)
    )


def _bands(shingles: frozenset[int]) -> tuple[tuple[int, ...], ...]:
    """Bucket keys from the smallest shingle hashes (a bottom-k sketch: every pair of
    the four smallest): texts with a Jaccard similarity of 0.8 or more share a band with high
    probability, unrelated texts almost never, so few pairs are compared at all."""
    low = heapq.nsmallest(4, shingles)
    if len(low) < 4:
        return (tuple(low),)
    return tuple(itertools.combinations(low, 2))


def _pack(shingles: frozenset[int]) -> bytes:
    """A shingle set as 4 bytes a hash: what buckets keep, a fraction of a Python set."""
    return array("I", shingles).tobytes()


def _near(shingles: frozenset[int], packed: bytes) -> bool:
    """Exact shingled Jaccard similarity ≥ `NEAR_DUPLICATE` against a stored example."""
    size, other = len(shingles), len(packed) // 4
    if min(size, other) < NEAR_DUPLICATE * max(size, other):
        return False  # Jaccard ≥ t needs the smaller set to be t of the larger
    stored = array("I")
    stored.frombytes(packed)
    shared = len(shingles.intersection(stored))
    return shared >= NEAR_DUPLICATE * (size + other - shared)


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with opened_input(path, MAX_FILE_BYTES, "a training file") as handle:
        yield from enumerate(handle, start=1)


def _percentile(sorted_values: list[int], share: float) -> int:
    if not sorted_values:
        return 0
    index = min(len(sorted_values) - 1, math.ceil(share * len(sorted_values)) - 1)
    return sorted_values[max(0, index)]


def _counter(
    tokenizer: Path | None,
) -> tuple[Callable[[str], int], Literal["approximate", "exact"]]:
    if tokenizer is None:
        return (lambda text: math.ceil(len(text) / 4)), "approximate"
    try:
        from tokenizers import Tokenizer  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        raise UserError(
            "--tokenizer needs the optional tokenizers package: pip install 'ftadvisor[tokens]'"
        ) from None
    try:
        loaded = Tokenizer.from_file(os.fspath(tokenizer))
    except Exception as exc:  # the library raises its own exception types
        raise UserError(f"{tokenizer}: not a usable tokenizer.json: {exc}") from None
    return (lambda text: len(loaded.encode(text).ids)), "exact"


def inspect_file(
    path: str | os.PathLike[str],
    *,
    eval_path: str | os.PathLike[str] | None = None,
    max_tokens: int | None = None,
    tokenizer: str | os.PathLike[str] | None = None,
) -> DataReport:
    """Stream a training file and report what of it is usable."""
    source = Path(path)
    count, method = _counter(Path(tokenizer) if tokenizer is not None else None)
    eval_inputs = _eval_inputs(Path(eval_path)) if eval_path is not None else set()
    problems: Counter[str] = Counter()
    where: dict[str, list[int]] = {p: [] for p in PROBLEMS}
    seen: set[int] = set()
    buckets: dict[tuple[int, ...], list[bytes]] = {}
    lengths: list[int] = []
    outputs: Counter[str] = Counter()
    fmt: Format | None = None
    records = usable = 0

    def flag(kind: str, line: int) -> None:
        problems[kind] += 1
        if len(where[kind]) < SHOWN_LINES:
            where[kind].append(line)

    for number, raw in _lines(source):
        if not raw.strip():
            continue
        records += 1
        try:
            if len(raw) > MAX_LINE_BYTES:
                raise ValueError("line too long")
            record = json.loads(raw, parse_constant=_no_constant)
        except (ValueError, RecursionError):
            flag("malformed", number)
            continue
        try:
            if fmt is None and isinstance(record, dict):
                fmt = _detect(record)
            prompt, output = _example(record, fmt or "chat")
        except _FormatError:
            flag("format_error", number)
            continue
        if not output.strip():
            flag("empty_output", number)
            continue
        key = zlib.crc32(_normal(prompt + "\x00" + output).encode())
        if key in seen:
            flag("duplicate", number)
            continue
        seen.add(key)
        shingles = _shingles(prompt + " " + output)
        signature = _bands(shingles)
        near = any(_near(shingles, other) for b in signature for other in buckets.get(b, ()))
        if near:
            flag("near_duplicate", number)
            continue
        packed = _pack(shingles)
        for bucket in signature:
            kept = buckets.setdefault(bucket, [])
            if len(kept) < MAX_CANDIDATES:
                kept.append(packed)
        if prompt and _normal(prompt) in eval_inputs:
            flag("in_eval_set", number)
            continue
        tokens = count(prompt + "\n" + output)
        if max_tokens is not None and tokens > max_tokens:
            flag("too_long", number)
            continue
        lengths.append(tokens)
        if len(outputs) <= LABEL_SET:
            outputs[_normal(output)] += 1
        usable += 1
    lengths.sort()
    token_summary = (
        Tokens(
            method=method,
            total=sum(lengths),
            p50=_percentile(lengths, 0.5),
            p95=_percentile(lengths, 0.95),
            max=lengths[-1],
        )
        if lengths
        else None
    )
    labels = (
        dict(outputs.most_common())
        if 1 < len(outputs) <= LABEL_SET and usable >= 2 * len(outputs)
        else None
    )
    return DataReport(
        path=os.fspath(path),
        format=fmt,
        records=records,
        usable=usable,
        problems={p: problems[p] for p in PROBLEMS},
        lines={p: tuple(where[p]) for p in PROBLEMS},
        tokens=token_summary,
        labels=labels,
    )


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def _eval_inputs(path: Path) -> set[str]:
    """The inputs of an evaluation set in any of the same formats."""
    found: set[str] = set()
    fmt: Format | None = None
    for _, raw in _lines(path):
        try:
            record = json.loads(raw, parse_constant=_no_constant)
            if fmt is None and isinstance(record, dict):
                fmt = _detect(record)
            prompt, _ = _example(record, fmt or "chat")
        except (ValueError, RecursionError):
            continue
        if prompt.strip():
            found.add(_normal(prompt))
    return found


def as_profile_data(report: DataReport, *, seq_len: bool) -> ProfileData:
    """The profile keys a training file states: the usable count, and the plan's
    sequence length when the profile does not state one (`seq_len`)."""
    data: dict[str, Any] = {"resources": {"training_examples": report.usable}}
    if seq_len and report.seq_len is not None:
        data["training"] = {"seq_len": report.seq_len}
    return ProfileData(report.path, Document(data, {}, {}))
