"""Reading YAML the way a profile needs it: located, strict and bounded.

PyYAML's own constructors lose line numbers, keep the last of duplicate keys, build
arbitrary objects for some tags and expand aliases without limit. We let PyYAML
compose the node graph (linear in the size of the text, also for alias bombs, and
served by libyaml when present) and build plain data from the nodes ourselves, so
that every value keeps its line and every hazard becomes a `Problem`.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, NamedTuple

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ftadvisor.errors import Problem, ProfileError

MAX_BYTES = 1_048_576
"""Profiles are a few kilobytes; anything above 1 MiB is refused before parsing."""
MAX_VALUES = 10_000
"""Values built from one document, aliases counted each time they are used."""
MAX_DEPTH = 32
"""Nesting deeper than this is refused; a profile is three levels deep."""


class _MemoLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's loader with the implicit-tag resolver memoised.

    Even under libyaml, PyYAML resolves every plain scalar's tag in Python with a
    chain of regular expressions; profiles repeat the same few words and numbers, so
    a memo on (node kind, text, implicit flags) removes most of that work. The memo
    is bounded by the distinct scalars seen, which the size limit caps per file.
    """

    _memo: ClassVar[dict[tuple[Any, str, Any], str]] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if not isinstance(value, str) or len(value) > 64:
            return super().resolve(kind, value, implicit)
        key = (kind, value, implicit)
        tag = self._memo.get(key)
        if tag is None:
            if len(self._memo) > 50_000:
                self._memo.clear()
            tag = self._memo[key] = super().resolve(kind, value, implicit)
        return tag


_FAST_LOADER: type[Any] = _MemoLoader
_FLOW_OPENERS_FOR_FAST_LOADER = 1_000
"""libyaml recurses in C once per nesting level and crashes the process (SIGSEGV) past
about 20,000 levels, well inside the size limit. Nesting that deep needs that many
`[` or `{`; a text with more than this many of them is composed by the pure-Python
loader instead, whose RecursionError we can catch. Block nesting cannot get deep
enough to matter: n levels need about n²/2 characters of indentation."""
_Y = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(_Y + t for t in ("null", "bool", "int", "float", "str", "timestamp"))
_CONSTRUCTOR = SafeConstructor()
_STR = _Y + "str"
_INT = _Y + "int"
_FLOAT = _Y + "float"
_DECIMAL = re.compile(r"[-+]?(0|[1-9][0-9_]*)\Z")
_YAML11_INT = re.compile(r"[-+]?(0[0-7_]+|0x[0-9a-fA-F_]+|0b[01_]+|[1-9][0-9_]*(:[0-5]?[0-9])+)\Z")
"""What YAML 1.1 reads as an int that is not decimal: octal, hex, binary, base 60."""

Path = tuple[str | int, ...]


def key_path(path: Path) -> str:
    """The dotted form users write and read: `resources.training_examples`, `items[2]`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


class Document(NamedTuple):
    """Plain data from one YAML document plus where each value came from."""

    data: Any
    lines: dict[Path, int]
    plain_text: dict[Path, str]
    """Source text of unquoted scalars that YAML turned into something other than a
    string (`no` → False, `1.10` → 1.1): used to suggest quoting them."""

    def line_of(self, path: Path) -> int | None:
        """The line of `path`, or of its nearest located ancestor."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


class _Builder:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.lines: dict[Path, int] = {}
        self.plain_text: dict[Path, str] = {}
        self.problems: list[Problem] = []
        self.values = 0
        self.open: set[int] = set()
        """The collections being built on the current path: an alias back to one of
        them is a cycle, not deep nesting."""

    def problem(self, node: Node, path: Path, message: str) -> None:
        self.problems.append(
            Problem(message, self.filename, node.start_mark.line + 1, key_path(path) or None)
        )

    def build(self, node: Node, path: Path, depth: int) -> Any:
        if id(node) in self.open:
            self.problem(node, path[:-1], "an alias refers to the value that contains it")
            raise _Recursive
        self.values += 1
        if self.values > MAX_VALUES:
            raise _TooBig(node)
        self.lines.setdefault(path, node.start_mark.line + 1)
        if depth > MAX_DEPTH:
            self.problem(node, path, f"nesting deeper than {MAX_DEPTH} levels is not allowed")
            return None
        if isinstance(node, MappingNode | SequenceNode):
            self.open.add(id(node))
            try:
                if isinstance(node, MappingNode):
                    return self._mapping(node, path, depth)
                if node.tag != _Y + "seq":
                    self.problem(node, path, f"the tag {node.tag!r} is not allowed in a profile")
                    return None
                return [
                    self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)
                ]
            finally:
                self.open.discard(id(node))
        assert isinstance(node, ScalarNode)
        return self._scalar(node, path)

    def _mapping(self, node: MappingNode, path: Path, depth: int) -> dict[str, Any] | None:
        if node.tag != _Y + "map":
            self.problem(node, path, f"the tag {node.tag!r} is not allowed in a profile")
            return None
        out: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == _Y + "merge":
                self.problem(key_node, path, "keys must be plain names (no lists, maps or merges)")
                continue
            # Keys are names: `no:` or `1:` as a key means the text, not a bool or int.
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in first_line:
                self.problem(
                    key_node,
                    (*path, key),
                    f"duplicate key (first defined on line {first_line[key]})",
                )
                continue
            first_line[key] = line
            self.lines[(*path, key)] = line
            out[key] = self.build(value_node, (*path, key), depth + 1)
        return out

    def _scalar(self, node: ScalarNode, path: Path) -> Any:
        if node.tag == _STR:
            return node.value  # what SafeConstructor would return, without the detour
        if node.tag not in _SCALAR_TAGS:
            self.problem(node, path, f"the tag {node.tag!r} is not allowed in a profile")
            return None
        if node.tag == _INT and _YAML11_INT.match(node.value) and not _DECIMAL.match(node.value):
            self.problem(
                node,
                path,
                f"`{node.value}` is not a decimal number (YAML 1.1 reads a leading 0 as octal, "
                "0x as hexadecimal and `1:30` as base 60); write the count in decimal",
            )
            return None
        if node.tag == _FLOAT and ":" in node.value:
            message = f"`{node.value}` is not a decimal number (base 60 is not read)"
            self.problem(node, path, message)
            return None
        try:
            value = _CONSTRUCTOR.yaml_constructors[node.tag](_CONSTRUCTOR, node)
        except (ValueError, TypeError, KeyError, OverflowError, yaml.YAMLError):
            kind = node.tag.removeprefix(_Y)
            hint = "" if node.style else "; quote it if you meant text"
            self.problem(node, path, f"`{node.value}` is not a valid {kind}{hint}")
            return None
        if not node.style and not isinstance(value, str) and value is not None:
            self.plain_text[path] = str(node.value)
        return value


class _Recursive(Exception):
    pass


class _TooBig(Exception):
    def __init__(self, node: Node) -> None:
        self.node = node


def _line_at(text: str | bytes, offset: int) -> int:
    newline = b"\n" if isinstance(text, bytes) else "\n"
    return text[:offset].count(newline) + 1  # type: ignore[arg-type]


def decode(raw: bytes, filename: str) -> str:
    """UTF-8 (with or without a BOM), or a problem that names the offending line."""
    if len(raw) > MAX_BYTES:
        raise ProfileError(
            [
                Problem(
                    f"larger than {MAX_BYTES:,} bytes, the limit for a profile (a few kilobytes)",
                    filename,
                )
            ]
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = _line_at(raw, exc.start)
        raise ProfileError(
            [
                Problem(
                    f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
                    filename,
                    line,
                )
            ]
        ) from None


def parse(text: str, filename: str) -> Document:
    """Compose and build one YAML document; every failure is a `ProfileError`."""
    if len(text) > MAX_BYTES:
        raise ProfileError(
            [
                Problem(
                    f"the text is {len(text):,} characters; profiles are limited to {MAX_BYTES:,}",
                    filename,
                )
            ]
        )
    try:
        many_openers = text.count("[") + text.count("{") > _FLOW_OPENERS_FOR_FAST_LOADER
        root = yaml.compose(text, Loader=yaml.SafeLoader if many_openers else _FAST_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        context = exc.context or ""
        if (
            exc.context_mark is not None
            and exc.problem_mark is not None
            and exc.context_mark.line != exc.problem_mark.line
        ):
            context += f" (which starts on line {exc.context_mark.line + 1})"
        what = ", ".join(p for p in (context, exc.problem or "") if p)
        mark = exc.problem_mark
        if mark is not None and mark.index < len(text) and text[mark.index] == "\t":
            what = "a tab character here; YAML indents with spaces, never tabs"
        raise ProfileError([Problem(f"not valid YAML: {what}", filename, line)]) from None
    except yaml.reader.ReaderError as exc:
        raise ProfileError(
            [Problem(f"not valid YAML: {exc.reason}", filename, _line_at(text, exc.position))]
        ) from None
    except yaml.YAMLError as exc:
        raise ProfileError([Problem(f"not valid YAML: {exc}", filename)]) from None
    except RecursionError:
        raise ProfileError(
            [Problem(f"nesting deeper than {MAX_DEPTH} levels is not allowed", filename)]
        ) from None
    if root is None or (isinstance(root, ScalarNode) and root.tag == _Y + "null"):
        raise ProfileError(
            [
                Problem(
                    "the file is empty; a profile needs at least `version: 1` and `name`",
                    filename,
                    1,
                )
            ]
        )
    builder = _Builder(filename)
    try:
        data = builder.build(root, (), 0)
    except _TooBig as exc:
        raise ProfileError(
            [
                Problem(
                    f"the document expands to more than {MAX_VALUES:,} values (aliases "
                    "repeat what they point to); a profile needs a few dozen",
                    filename,
                    exc.node.start_mark.line + 1,
                )
            ]
        ) from None
    except _Recursive:
        raise ProfileError(builder.problems) from None
    if builder.problems:
        raise ProfileError(builder.problems)
    return Document(data, builder.lines, builder.plain_text)
