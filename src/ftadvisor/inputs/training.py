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
import hashlib
import itertools
import json
import math
import operator
import os
import string
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
SKETCH = 64
"""Hashes kept per example for the similarity estimate (bottom-k)."""
BANDS = 3
"""Smallest hashes by which an example is found again."""
MAX_CANDIDATES = 16
"""Examples compared per key: bounds the near-duplicate work on large files."""
MAX_INDEXED = 200_000
"""Examples remembered for near-duplicate search, about 0.5 KB each: bounds memory."""
WORD_CACHE = 1 << 16
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
_SETUP_ROLES = {"system", "developer"}
_MESSAGE_KEYS = {"role", "content", "name", "weight", "tool_calls", "tool_call_id", "function_call"}
_CHAT_KEYS = {"messages", "tools", "parallel_tool_calls", "functions"}
_LOW32 = 0xFFFFFFFF
_PUNCTUATION = string.punctuation + "“”‘’«»¿¡…"


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
    unindexed: int = 0
    """Distinct examples past `MAX_INDEXED`: checked against the remembered ones, not
    against each other."""

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
            "near_duplicate_unindexed": self.unindexed,
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


class _Example(typing.NamedTuple):
    setup: str
    """System and developer messages: shared by most examples of a file, so left out
    of the near-duplicate comparison (a long shared system prompt would otherwise make
    every pair of examples alike)."""
    prompt: str
    output: str


def _messages(messages: Any, role_key: str, content_key: str, roles: dict[str, str]) -> _Example:
    if not isinstance(messages, list) or not messages:
        raise _FormatError("missing message list")
    setup: list[str] = []
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
        if role == "assistant":
            outputs.append(content)
        else:
            (setup if role in _SETUP_ROLES else inputs).append(content)
    if not outputs:
        raise _FormatError("no assistant message")
    return _Example("\n".join(setup), "\n".join(inputs), "\n".join(outputs))


_SHAREGPT_ROLES = {"human": "user", "gpt": "assistant", "system": "system", "user": "user"}


def _example(record: Any, fmt: Format) -> _Example:
    """The parts of one record in `fmt`, or a `_FormatError`."""
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
        return _Example("", _text(prompt), _text(completion))
    if fmt == "alpaca":
        if "instruction" not in record or "output" not in record:
            raise _FormatError("instruction and output go together")
        prompt = _text(record["instruction"]) + "\n" + _text(record.get("input") or "")
        return _Example("", prompt.strip(), _text(record["output"]))
    return _Example("", "", _text(record.get("text")))


def _normal(text: str) -> str:
    return " ".join(text.split()).lower()


def _key(text: str) -> int:
    """64 bits of a stable digest: a 32-bit key would, by the birthday bound, call
    about one pair of distinct examples in a 100,000-line file a duplicate."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


class _WordHashes(dict[str, int]):
    """CRC-32 of each word without the punctuation around it, computed once per
    distinct token: Python's own `hash` of a string is salted per process, and a file
    must get the same answer on every run."""

    def __missing__(self, token: str) -> int:
        if len(self) >= WORD_CACHE:
            self.clear()
        value = self[token] = zlib.crc32(token.strip(_PUNCTUATION).encode())
        return value


def _shingles(text: str, words: _WordHashes) -> set[int]:
    """32-bit hashes of the text's overlapping three-word runs. A tuple of ints hashes
    the same in every process (only strings and bytes are salted)."""
    hashed = list(map(words.__getitem__, text.lower().split()))
    if len(hashed) < SHINGLE_WORDS:
        return {hash(tuple(hashed)) & _LOW32}
    runs = zip(hashed, hashed[1:], hashed[2:], strict=False)
    return set(map(operator.and_, map(hash, runs), itertools.repeat(_LOW32)))


def _sketch(shingles: set[int]) -> array[int]:
    """The `SKETCH` smallest shingle hashes: the whole set when it is that small, a
    bottom-k sample of it otherwise."""
    return array("I", sorted(shingles)[:SKETCH])


def _similar(one: array[int], other: array[int]) -> bool:
    """Jaccard similarity ≥ `NEAR_DUPLICATE`, estimated from two bottom-k sketches
    (Broder 1997): of the k smallest hashes of the union, the share found in both.
    Exact when both texts have at most `SKETCH` shingles."""
    small, large = sorted((len(one), len(other)))
    if small < NEAR_DUPLICATE * large:
        return False  # Jaccard ≥ t needs the smaller set to be t of the larger
    a, b = set(one), set(other)
    union = sorted(a | b)[:SKETCH]
    both = sum(1 for h in union if h in a and h in b)
    return both >= NEAR_DUPLICATE * len(union)


class _NearIndex:
    """Examples seen so far, found again by their `BANDS` smallest hashes: texts with
    a Jaccard similarity of 0.8 share one of them with probability above 99%,
    unrelated texts rarely, so few pairs are compared. Bounded twice: at most
    `MAX_CANDIDATES` examples per key are compared, and after `MAX_INDEXED` examples
    new ones are still checked against the index but no longer added to it."""

    def __init__(self) -> None:
        self.words = _WordHashes()
        self.buckets: dict[int, array[int] | list[array[int]]] = {}
        self.indexed = 0
        self.unindexed = 0

    def seen(self, text: str) -> bool:
        """Whether a near duplicate of `text` was seen; if not, `text` is remembered."""
        sketch = _sketch(_shingles(text, self.words))
        keys = set(sketch[:BANDS])
        for key in keys:
            kept = self.buckets.get(key)
            candidates = [kept] if isinstance(kept, array) else kept or ()
            if any(_similar(sketch, other) for other in candidates):
                return True
        if self.indexed >= MAX_INDEXED:
            self.unindexed += 1
            return False
        self.indexed += 1
        for key in keys:
            kept = self.buckets.get(key)
            if kept is None:
                self.buckets[key] = sketch
            elif isinstance(kept, array):
                self.buckets[key] = [kept, sketch]
            elif len(kept) < MAX_CANDIDATES:
                kept.append(sketch)
        return False


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
    near = _NearIndex()
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
            setup, prompt, output = _example(record, fmt or "chat")
        except _FormatError:
            flag("format_error", number)
            continue
        if not output.strip():
            flag("empty_output", number)
            continue
        key = _key(_normal(setup + "\x00" + prompt + "\x00" + output))
        if key in seen:
            flag("duplicate", number)
            continue
        seen.add(key)
        if near.seen(prompt + " " + output):
            flag("near_duplicate", number)
            continue
        if eval_inputs and prompt and _normal(prompt) in eval_inputs:
            flag("in_eval_set", number)
            continue
        tokens = count("\n".join(filter(None, (setup, prompt, output))))
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
        unindexed=near.unindexed,
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
            _, prompt, _ = _example(record, fmt or "chat")
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
