"""The interactive session: ask what matters, review failures, save the answers.

All terminal I/O goes through a `Prompter`, so tests drive complete sessions with
scripted lines and the real program differs only in where lines come from.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.text import Text

from ftadvisor.advice.decide import decide, failure_mode
from ftadvisor.errors import ExitCode, UserError, printable
from ftadvisor.files import write_atomic
from ftadvisor.interview.questions import (
    Question,
    next_question,
    packaged_questions,
    profile_data,
)
from ftadvisor.profile.dump import dump_profile
from ftadvisor.profile.model import MAX_COUNT, Profile
from ftadvisor.render.common import share_text
from ftadvisor.rules.loader import RuleSet, packaged_rules


class Interrupted(UserError):
    """Ctrl-C or end of input during a session; the answers so far were saved."""

    exit_code = ExitCode.INTERRUPTED


PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"
"""What a terminal in bracketed-paste mode wraps a paste in (left on by some programs)."""


def _unpasted(line: str) -> str:
    return line.replace(PASTE_START, "").replace(PASTE_END, "")


@dataclass
class Prompter:
    """Where questions are shown and answers read from."""

    console: Console
    stream: TextIO | None = None
    """Lines to read instead of the terminal (tests); None reads the terminal."""

    def read(self, prompt: Text) -> str:
        """One line as typed; the markers of a bracketed paste are kept, for `review`."""
        if self.stream is None:
            return self.console.input(prompt)
        self.console.print(prompt, end="")
        line = self.stream.readline()
        if not line:
            raise EOFError
        self.console.print(_unpasted(line.rstrip("\n")), style="dim")
        return line.rstrip("\n")

    def answer(self, prompt: Text) -> str:
        return _unpasted(self.read(prompt))

    def say(self, *parts: Any, style: str | None = None) -> None:
        self.console.print(*parts, style=style, highlight=False)


_YES = {"y", "yes", "true", "1"}
_NO = {"n", "no", "false", "0"}


class _Invalid(ValueError):
    pass


_WHOLE = re.compile(r"\d+|\d{1,3}(,\d{3})+|\d{1,3}(_\d{3})+")
"""Whole numbers as people type them: 2000, 2,000 or 2_000 (ASCII digits only)."""


def _whole(text: str) -> int:
    """A count typed by a person, or `_Invalid` saying what is expected."""
    text = text.strip()
    if text.startswith("-") and _WHOLE.fullmatch(text[1:]):
        raise _Invalid("enter a number of 0 or more")
    if not (text.isascii() and _WHOLE.fullmatch(text)):
        raise _Invalid("enter a whole number")
    value = int(text.replace(",", "").replace("_", ""))
    if value > MAX_COUNT:
        raise _Invalid(f"enter a number up to {MAX_COUNT:,}")
    return value


def _parse(question: Question, raw: str) -> Any:
    field = question.field
    assert field is not None
    text = raw.strip()
    if field.kind == "bool":
        if text.lower() in _YES:
            return True
        if text.lower() in _NO:
            return False
        raise _Invalid("answer y or n")
    if field.kind == "enum":
        word = text.lower()
        matches = [c for c in field.choices if word and c.startswith(word)]
        if text.isascii() and text.isdigit() and 1 <= int(text) <= len(field.choices):
            return field.choices[int(text) - 1]
        if word in field.choices:
            return word
        if len(matches) == 1:
            return matches[0]
        alias = question.spec.aliases.get(word)
        if alias is None:
            import difflib

            close = difflib.get_close_matches(word, field.choices, n=1, cutoff=0.6)
            alias = close[0] if close else None
        hint = f"; did you mean {alias}?" if alias else ""
        raise _Invalid(f"choose one of: {', '.join(field.choices)}{hint}")
    if field.kind == "number":
        if field.integer:
            return _whole(text)
        try:
            value = float(text.replace(",", "")) if text.isascii() else math.nan
        except ValueError:
            raise _Invalid("enter a number") from None
        if not math.isfinite(value) or abs(value) > MAX_COUNT:
            raise _Invalid("enter a finite number")
        return value
    if not text:
        raise _Invalid("this one needs an answer")
    return text


def _choices_hint(question: Question, default: Any) -> str:
    field = question.field
    assert field is not None
    if field.kind == "bool":
        return "[Y/n]" if default is True else "[y/N]" if default is False else "[y/n]"
    if field.kind == "enum":
        return "[" + "/".join(c.upper() if c == default else c for c in field.choices) + "]"
    if default is not None:
        return f"[{default}]"
    return ""


def _default(question: Question) -> Any:
    if question.field is None or question.spec.optional:
        return None
    section, _, leaf = question.key.rpartition(".")
    model: Any = Profile
    if section:
        model = Profile.model_fields[section].annotation
        model = next(a for a in getattr(model, "__args__", (model,)) if a is not type(None))
    info = model.model_fields[leaf]
    return None if info.is_required() else info.default


def _help(prompter: Prompter, text: str, cite: str | None) -> None:
    why = Text.assemble(("  why: ", "bold"), " ".join(text.split()))
    if cite:
        why.append(f"  [{cite}]", style="dim italic")
    prompter.say(why)


def ask(prompter: Prompter, question: Question) -> Any:
    """Ask until the answer parses; `?` shows why the question is asked."""
    default = _default(question)
    hint = _choices_hint(question, default)
    prompt = Text.assemble(
        ("? ", "cyan bold"), question.spec.text, " ", (hint, "dim"), (" " if hint else "")
    )
    while True:
        raw = prompter.answer(prompt)
        if raw.strip() == "?":
            _help(prompter, question.spec.help, question.cite)
            continue
        if not raw.strip():
            if question.spec.optional:
                return None
            if default is not None:
                return default
        try:
            return _parse(question, raw)
        except _Invalid as exc:
            prompter.say(f"  {exc} (or ? for why this is asked)", style="yellow")


def _yes_no(
    prompter: Prompter, text: str, help_text: str, cite: str | None, default: bool | None = None
) -> bool:
    hint = "[Y/n]" if default is True else "[y/N]" if default is False else "[y/n]"
    prompt = Text.assemble(("  ? ", "cyan bold"), text, " ", (hint, "dim"), " ")
    while True:
        raw = prompter.answer(prompt).strip().lower()
        if raw == "?":
            _help(prompter, help_text, cite)
        elif raw in _YES:
            return True
        elif raw in _NO:
            return False
        elif not raw and default is not None:
            return default
        else:
            prompter.say("  answer y or n (or ? for why this is asked)", style="yellow")


def _count(prompter: Prompter, text: str, help_text: str, cite: str | None) -> int:
    prompt = Text.assemble(("  ? ", "cyan bold"), text, " ")
    while True:
        raw = prompter.answer(prompt).strip()
        if raw == "?":
            _help(prompter, help_text, cite)
            continue
        try:
            return _whole(raw)
        except _Invalid as exc:
            prompter.say(f"  {exc} (or ? for why this is asked)", style="yellow")


def _tally_line(rules: RuleSet, information: int, behavior: int) -> Text:
    total = information + behavior
    profile = Profile.model_validate(
        {
            "version": 1,
            "name": "tally",
            "failures": {"information": information, "behavior": behavior},
        }
    )
    mode = failure_mode(decide(rules, profile).ctx)
    line = Text("  tally: ", style="dim")
    for name, count in (("information", information), ("behavior", behavior)):
        share = f" ({share_text(count / total)})" if total else ""
        line.append(f"{name} {count}{share}  ")
    line.append(f"→ failure mode so far: {mode}", style="bold")
    return line


_FACTS_HELP = (
    "Information failures are wrong, outdated or missing facts: the model never had the "
    "information (private data) or has an old version of it. Retrieval fixes these."
)
_SEEN_HELP = (
    "The line between facts and form is whether the needed fact was in what the model "
    "saw. If it was in the prompt or the retrieved context and the answer still "
    "contradicts or invents, more retrieval cannot help: the model was not faithful to "
    "its context, a behavior failure that a stronger model or finetuning addresses."
)
_FORM_HELP = (
    "Behavior failures have the right facts in the wrong shape: malformed output (invalid "
    "JSON, code that does not compile), the wrong style, irrelevant detail, or unsafe "
    "content. Finetuning can fix these."
)


def review(
    prompter: Prompter, question: Question, rules: RuleSet, answers: dict[str, Any] | None = None
) -> tuple[int, int]:
    """Sort failures into facts or form, one by one or from counts already known.

    The running tally is kept in `answers` after every failure, so that a draft saved
    on Ctrl-C holds the failures reviewed so far."""
    answers = {} if answers is None else answers
    prompter.say(Text("\nFailure review", style="bold"))
    prompter.say(
        "Bring a handful of recent failed outputs to mind, or paste them one at a time. "
        "Two questions sort each into facts (information) or form (behavior).",
        style="dim",
    )
    by_count = _yes_no(
        prompter,
        "Do you already have counts of each kind?",
        question.spec.help,
        question.cite,
        default=False,
    )
    if by_count:
        information = _count(
            prompter,
            "How many reviewed failures had a fact wrong, outdated or missing in everything "
            "the model saw (its training and the context it was given)?",
            _FACTS_HELP,
            question.cite,
        )
        behavior = _count(
            prompter,
            "How many had what they needed (the fact was in the context) but failed on "
            "format, style, relevance, safety or faithfulness to the context?",
            _FORM_HELP,
            question.cite,
        )
        prompter.say(_tally_line(rules, information, behavior))
        return information, behavior
    information = behavior = 0
    number = 1
    while True:
        prompt = Text.assemble(
            ("  failure ", "cyan bold"),
            (f"{number}", "cyan bold"),
            ": paste or describe it, then an empty line (an empty line now ends the review) ",
        )
        line = prompter.read(prompt)
        if not _unpasted(line).strip():
            return information, behavior
        # A pasted failure spans lines: read to the empty line that ends it, so that
        # its second line is never taken as the answer to the next question; a
        # bracketed paste ends at its end marker, whatever empty lines it holds.
        if PASTE_START in line:
            while PASTE_END not in line:
                line = prompter.read(Text("  … ", style="dim"))
        while _unpasted(prompter.read(Text("  … ", style="dim"))).strip():
            pass
        if _yes_no(
            prompter, "Are any facts in it wrong, outdated or missing?", _FACTS_HELP, question.cite
        ):
            if _yes_no(
                prompter,
                "Was the needed fact in what the model saw (its prompt or the retrieved context)?",
                _SEEN_HELP,
                question.cite,
            ):
                behavior += 1
                prompter.say(
                    "  the model had the fact: counted as behavior (faithfulness to the context)",
                    style="dim",
                )
            else:
                information += 1
        elif _yes_no(
            prompter,
            "Are the facts right but the format, style, relevance or safety wrong?",
            _FORM_HELP,
            question.cite,
        ):
            behavior += 1
        else:
            prompter.say("  neither: not counted (is it a failure at all?)", style="dim")
        answers["failures.information"], answers["failures.behavior"] = information, behavior
        prompter.say(_tally_line(rules, information, behavior))
        number += 1


def _from_file(
    prompter: Prompter, question: Question, answers: dict[str, Any], rules: RuleSet
) -> bool:
    """Answer `question` from the file the person names; False when they name none."""
    spec = question.spec.from_file
    assert spec is not None
    prompt = Text.assemble(("? ", "cyan bold"), spec.text, " ")
    while True:
        path = prompter.answer(prompt).strip()
        if not path:
            return False
        if path == "?":
            _help(prompter, question.spec.help, question.cite)
            continue
        try:
            found = _read_evidence(prompter, spec.reader, path)
        except UserError as exc:
            prompter.say(f"  {printable(exc.message)}", style="yellow")
            continue
        answers.update(found)
        if spec.reader == "evals":
            prompter.say(
                _tally_line(rules, found["failures.information"], found["failures.behavior"])
            )
        return True


def _read_evidence(prompter: Prompter, reader: str, path: str) -> dict[str, Any]:
    if reader == "training":
        from ftadvisor.inputs.training import inspect_file

        report = inspect_file(Path(path))
        prompter.say(f"  {path}: {report.records:,} records, {report.usable:,} usable", style="dim")
        return {"resources.training_examples": report.usable}
    from ftadvisor.inputs.evals import ANSWERS, question, tally

    def ask_check(name: str, failed: int) -> Any:
        prompt = Text.assemble(
            ("  ? ", "cyan bold"), question(name, failed), " ", ("[facts/form/skip]", "dim"), " "
        )
        while (raw := prompter.answer(prompt).strip().lower()) not in ANSWERS:
            prompter.say("  answer facts, form or skip", style="yellow")
        return ANSWERS[raw]

    result = tally([path], ask=ask_check)
    prompter.say(
        f"  {path}: {result.inputs[0].tests:,} tests; unclassified {result.unclassified:,}, "
        f"excluded {result.excluded:,}",
        style="dim",
    )
    return {"failures.information": result.information, "failures.behavior": result.behavior}


def interview(
    prompter: Prompter,
    answers: dict[str, Any],
    *,
    full: bool = False,
    rules: RuleSet | None = None,
    questions: tuple[Question, ...] | None = None,
) -> Profile:
    """Ask until nothing left could change the advice; `answers` fills in as we go."""
    rules = rules or packaged_rules()
    questions = questions or packaged_questions()
    while (question := next_question(questions, answers, rules, full=full)) is not None:
        if question.spec.from_file is not None and _from_file(prompter, question, answers, rules):
            continue
        if question.spec.kind == "review":
            answers["failures.information"], answers["failures.behavior"] = review(
                prompter, question, rules, answers
            )
        else:
            answers[question.key] = ask(prompter, question)
    return Profile.model_validate(profile_data(answers))


def answered_keys(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """The keys a profile file actually states, flattened (`resources.ml_expertise`)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            out.update(answered_keys(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


def saved_text(answers: Mapping[str, Any]) -> str:
    data = profile_data(answers)
    header = (
        f"ftadvisor profile, from an interactive session on {date.today().isoformat()}.\n"
        "Keys left out take their defaults. Re-assess with:\n"
        "  ftadvisor assess --profile THIS_FILE"
    )
    return dump_profile(data, header)


def save(prompter: Prompter, answers: Mapping[str, Any], path: Path | None) -> Path | None:
    """Offer to save (or save to `path`), never overwriting a file without consent."""
    while True:
        if path is None:
            prompt = Text.assemble(
                ("? ", "cyan bold"),
                "Save these answers as a profile? File name, Enter for ftadvisor.yaml, "
                "or - to skip ",
                ("[ftadvisor.yaml] ", "dim"),
            )
            raw = prompter.answer(prompt).strip()
            if raw in ("-", ""):
                if raw == "":
                    raw = "ftadvisor.yaml"
                else:
                    return None
            path = Path(raw)
        if path.exists() and not _yes_no(
            prompter,
            f"{path} exists. Overwrite it?",
            "The old file is replaced whole, atomically.",
            None,
            default=False,
        ):
            path = None
            continue
        try:
            write_atomic(path, saved_text(answers))
        except UserError as error:
            try:
                draft = save_draft(answers)
            except UserError:
                raise error from None
            raise UserError(
                f"{error.message}; the answers are kept in {draft} — save them elsewhere "
                f"with: ftadvisor assess --profile {draft} --interactive --save FILE"
            ) from None
        prompter.say(
            Text.assemble(
                "saved ",
                (str(path), "bold"),
                f" — re-assess with: ftadvisor assess --profile {path}",
            )
        )
        return path


def save_draft(answers: Mapping[str, Any], directory: Path | None = None) -> Path:
    """Write the answers so far next to the user, under a name that clobbers nothing."""
    directory = directory or Path.cwd()
    for n in range(1, 1000):
        candidate = directory / ("ftadvisor-draft.yaml" if n == 1 else f"ftadvisor-draft-{n}.yaml")
        if not candidate.exists():
            return write_atomic(candidate, saved_text(answers))
    raise UserError(f"{directory}: too many ftadvisor-draft files; remove some")


def guarded(answers: dict[str, Any], step: Callable[[], Any]) -> Any:
    """Run `step`; on Ctrl-C or end of input keep what was typed and exit 130."""
    try:
        return step()
    except (KeyboardInterrupt, EOFError) as exc:
        try:
            draft = save_draft(answers)
        except UserError as error:
            raise Interrupted(
                f"interrupted; the answers so far could not be saved: {error.message}"
            ) from None
        reason = "end of input" if isinstance(exc, EOFError) else "interrupted"
        raise Interrupted(
            f"\n{reason}; the answers so far are in {draft} — continue with: "
            f"ftadvisor assess --profile {draft} --interactive"
        ) from None


def session(
    prompter: Prompter,
    answers: dict[str, Any],
    *,
    full: bool,
    save_to: Path | None,
    show: Callable[[Profile], None],
) -> Profile:
    """A whole session: questions, the report (through `show`), then saving."""
    if answers:
        prompter.say(
            Text(f"Starting from the profile: {len(answers)} keys already answered.", style="dim")
        )
    profile: Profile = guarded(answers, lambda: interview(prompter, answers, full=full))
    show(profile)
    guarded(answers, lambda: save(prompter, answers, save_to))
    return profile
