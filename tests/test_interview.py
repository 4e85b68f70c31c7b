"""Complete interactive sessions driven by scripted lines, as a person would type them."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from ftadvisor import assess, load_profile
from ftadvisor.errors import ExitCode, UserError
from ftadvisor.interview.questions import packaged_questions
from ftadvisor.interview.session import Interrupted, Prompter, guarded, interview, save, session

# Builders for scripted answers, so a script reads like the conversation it is.
EVAL_READY = ["y", "y"]
NO_GOAL = ["", ""]  # no metric; quality not judged either
END_REVIEW = [""]
NO_FILE = [""]  # Enter: no results or training file, answer here
FACTS = ["y", "n"]  # facts wrong? yes; was the fact in what the model saw? no
FORM = ["n", "y"]  # facts fine, format/style wrong


def start(name: str, task: str = "") -> list[str]:
    return [name, task]


def goal(metric: str, current: float, target: float) -> list[str]:
    return [metric, str(current), str(target), ""]  # Enter: higher is better


def prompting(variants: int, examples: int) -> list[str]:
    return ["y", str(variants), str(examples)]  # systematic, variants, examples


def counts(information: int, behavior: int) -> list[str]:
    return [*NO_FILE, "y", str(information), str(behavior)]


def readiness(examples: int, expertise: str, serve: str, upkeep: str) -> list[str]:
    return [*NO_FILE, str(examples), expertise, serve, upkeep]


def _prompter(lines: list[str]) -> tuple[Prompter, io.StringIO]:
    screen = io.StringIO()
    console = Console(file=screen, width=120, highlight=False, color_system=None)
    return Prompter(console, io.StringIO("".join(f"{line}\n" for line in lines))), screen


def _run(lines: list[str], answers: dict[str, Any] | None = None, *, full: bool = False):
    prompter, screen = _prompter(lines)
    answers = {} if answers is None else answers
    profile = interview(prompter, answers, full=full)
    assert prompter.stream is not None
    assert prompter.stream.read() == "", "the session ended before using every scripted line"
    return profile, answers, screen.getvalue()


def test_rag_path_through_a_failure_review() -> None:
    lines = [
        *start("hr-bot", "Answer HR policy questions"),
        *EVAL_READY,
        *goal("answer_correctness", 0.6, 0.9),
        *prompting(variants=4, examples=5),
        *NO_FILE,
        "n",  # no counts at hand: review one by one
        *["said 10 weeks of leave, policy says 12", "", *FACTS],
        *["cited last year's handbook", "", *FACTS],
        *["answer was a wall of text", "", *FORM],
        *END_REVIEW,
        "none",  # retrieval in place
    ]
    profile, answers, screen = _run(lines)
    assert assess(profile).next_step.id == "rag_term"
    assert (profile.failures.information, profile.failures.behavior) == (2, 1)
    assert "failure mode so far: mixed" in screen
    assert "information 2 (67%)" in screen
    # Training-data questions cannot change a retrieval recommendation: not asked.
    assert "resources.training_examples" not in answers


def test_finetune_path_with_counts_entered_directly() -> None:
    lines = [
        *start("invoices"),
        *EVAL_READY,
        *NO_GOAL,
        *prompting(variants=6, examples=20),
        *counts(information=2, behavior=30),
        # A few fact failures call for retrieval when none is in place and the facts
        # change or are the organisation's own (contract rev 2): asked, then ruled out.
        "none",  # retrieval in place
        "n",  # facts that change
        "n",  # private knowledge
        "n",  # one prompt, one sub-task (a multi-step prompt would be split first)
        "y",  # strongest model tried
        *readiness(1500, "some", "y", "y"),
        "n",  # not finetuned yet
    ]
    profile, answers, _ = _run(lines)
    assert assess(profile).next_step.id == "finetune"
    assert answers["resources.ml_expertise"] == "some"
    assert answers["retrieval"] == "none"


def test_not_ready_path() -> None:
    lines = [
        *start("dsl-gen"),
        *EVAL_READY,
        *NO_GOAL,
        *prompting(variants=9, examples=30),
        *counts(information=1, behavior=40),
        "none",  # retrieval in place
        "n",  # facts that change
        "n",  # private knowledge
        "n",  # one prompt, one sub-task (a multi-step prompt would be split first)
        "y",  # strongest model tried
        *readiness(60, "none", "y", "n"),
    ]
    profile, answers, _ = _run(lines)
    result = assess(profile)
    assert result.next_step.id == "prepare_finetune"
    assert "finetuned" not in answers  # readiness gaps decide; finetuned cannot matter yet
    # Once one readiness gate matters, all four are asked: the report names every gap.
    assert answers["resources.ml_expertise"] == "none"
    assert {f.rule for f in result.findings} >= {
        "finding.readiness-training-data",
        "finding.readiness-expertise",
        "finding.readiness-maintenance",
    }


def test_short_path_skips_everything_once_evaluation_is_missing() -> None:
    profile, answers, _ = _run([*start("quick"), "n"])
    assert assess(profile).next_step.id == "define_evaluation"
    # Without criteria nothing else can change the advice, not even the pipeline.
    assert set(answers) == {"name", "task", "evaluation.criteria_defined"}


def test_full_asks_every_question() -> None:
    lines = [
        *start("everything"),
        "n",
        "n",
        *NO_GOAL,
        "n",
        "0",
        "0",
        *counts(0, 0),
        *["none", "n", "n", "n", "n", "n", "n", "n", *NO_FILE, "0", "none", "n", "n", "n"],
    ]
    _, answers, _ = _run(lines, full=True)
    expected = {k for q in packaged_questions() if not q.spec.requires for k in q.fills}
    assert expected <= set(answers)


def test_bad_answers_are_asked_again_with_a_hint() -> None:
    lines = [
        *start("retry"),
        *["maybe", "y", "y"],  # "maybe" is not y/n
        *NO_GOAL,
        *["perhaps", "y", "3"],  # systematic, after a bad answer
        *["-3", "lots", "4"],  # examples: negative, not a number, then 4
        *counts(0, 0),  # nothing failing: review_failures needs nothing more
    ]
    profile, _, screen = _run(lines)
    assert "answer y or n" in screen
    assert "enter a number of 0 or more" in screen
    assert "enter a whole number" in screen
    assert profile.prompting.few_shot_examples == 4
    assert assess(profile).next_step.id == "review_failures"


def test_unknown_choice_is_asked_again() -> None:
    lines = [
        *start("r"),
        *EVAL_READY,
        *NO_GOAL,
        *prompting(variants=3, examples=3),
        *counts(information=9, behavior=1),
        "bm25",  # not a choice
        "emb",  # a unique prefix of "embedding"
    ]
    profile, _, screen = _run(lines)
    assert "choose one of: none, term, embedding, hybrid" in screen
    assert profile.retrieval == "embedding"


def test_question_mark_shows_why_with_a_source() -> None:
    _, _, screen = _run(["x", "", "?", "n"])
    assert "why:" in screen and "[Huyen 2025, AI Engineering ch. 7, Finetuning and RAG]" in screen


def test_starting_from_a_profile_asks_only_what_it_leaves_out(profile_file) -> None:
    from ftadvisor.inputs import Input, read
    from ftadvisor.interview.session import answered_keys

    path = profile_file(
        "version: 1\nname: partial\nevaluation: {criteria_defined: true, pipeline: true}\n"
        "prompting: {systematic: true, few_shot_examples: 10}\nfailures: {behavior: 12}\n"
    )
    answers = answered_keys(read(Input(str(path))).data)
    # task, goal (no metric, not judged), variants (grouped with `systematic`), then
    # the form branch: one prompt per sub-task, the strongest model tried, readiness
    lines = ["", "", "", "3", "n", "y", *readiness(1000, "strong", "y", "y"), "n"]
    profile, answers, screen = _run(lines, answers)
    assert "What is the project called?" not in screen
    assert "Failure review" not in screen
    assert profile.name == "partial"
    assert assess(profile).next_step.id == "finetune"


def test_saved_profile_round_trips_to_the_same_advice(tmp_path: Path) -> None:
    lines = [
        *start("round-trip", "Tag tickets"),
        *EVAL_READY,
        *goal("f1", 0.7, 0.9),
        *prompting(variants=5, examples=8),
        *counts(information=1, behavior=20),
        *["none", "n", "n", "n"],  # retrieval, changing facts, private data, multi-step
        "y",  # strongest model tried
        *readiness(600, "some", "y", "n"),
    ]
    profile, answers, _ = _run(lines)
    target = tmp_path / "saved.yaml"
    prompter, _ = _prompter([])
    assert save(prompter, answers, target) == target
    text = target.read_text()
    assert text.startswith("# ftadvisor profile")
    assert "# High-quality (input, output) pairs available" in text  # commented
    reloaded = load_profile(target)
    assert reloaded == profile
    assert assess(reloaded).next_step == assess(profile).next_step


def test_save_prompt_never_overwrites_without_consent(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    existing = tmp_path / "ftadvisor.yaml"
    existing.write_text("precious\n")
    answers = {"name": "x", "evaluation.criteria_defined": False}
    prompter, _ = _prompter(["", "n", "other.yaml"])  # default name, refuse, new name
    assert save(prompter, answers, None) == Path("other.yaml")
    assert existing.read_text() == "precious\n"
    assert load_profile(tmp_path / "other.yaml").name == "x"
    prompter, _ = _prompter(["", "y"])
    save(prompter, answers, None)
    assert load_profile(existing).name == "x"


def test_end_of_input_saves_a_draft_and_exits_130(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ftadvisor-draft.yaml").write_text("someone else's\n")
    prompter, _ = _prompter(["draft-me", "", "y"])  # input ends mid-questionnaire
    answers: dict[str, Any] = {}
    with pytest.raises(Interrupted) as caught:
        guarded(answers, lambda: interview(prompter, answers))
    assert caught.value.exit_code == ExitCode.INTERRUPTED
    draft = tmp_path / "ftadvisor-draft-2.yaml"
    assert str(draft.name) in caught.value.message
    assert (tmp_path / "ftadvisor-draft.yaml").read_text() == "someone else's\n"
    resumed = load_profile(draft)
    assert resumed.name == "draft-me" and resumed.evaluation.criteria_defined is True


def test_session_shows_the_report_then_saves(tmp_path: Path) -> None:
    shown = []
    prompter, _ = _prompter(["s", "", "n", str(tmp_path / "out.yaml")])
    session(prompter, {}, full=False, save_to=None, show=shown.append)
    assert [assess(p).next_step.id for p in shown] == ["define_evaluation"]
    assert load_profile(tmp_path / "out.yaml").name == "s"


def test_a_wrong_fact_that_was_in_the_context_counts_as_behavior() -> None:
    """Contract rev 2: the line is "was the needed fact in what the model saw?"."""
    lines = [
        *start("faithfulness"),
        *EVAL_READY,
        *NO_GOAL,
        *prompting(variants=4, examples=5),
        *NO_FILE,
        "n",  # review one by one
        *["said the refund window is 60 days; the retrieved policy says 30", "", "y", "y"],
        *["quoted a price from a discontinued plan", "", *FACTS],
        *END_REVIEW,
    ]
    profile, _, screen = _run([*lines, "none"], {})  # then: the retrieval in place
    assert (profile.failures.information, profile.failures.behavior) == (1, 1)
    assert "counted as behavior (faithfulness to the context)" in screen


# ---- hostile answers and lost sessions (issue 12) ---------------------------------------


def test_odd_numbers_are_asked_again_and_thousands_separators_are_read() -> None:
    lines = [
        *start("numbers"),
        *EVAL_READY,
        *NO_GOAL,
        "y",  # systematic
        "²",  # a superscript digit is not a count
        "1" * 401,  # nor is a 401-digit one
        "2,000",
        "5",
        *NO_FILE,
        "y",  # counts at hand
        "?",  # why, on a count question
        "1,2",
        "1_000",
        "3",
        "bm25",  # not a choice: the hint names the one meant
        "term",
    ]
    profile, answers, screen = _run(lines)
    assert answers["prompting.variants_tested"] == 2000
    assert (profile.failures.information, profile.failures.behavior) == (1000, 3)
    assert "enter a whole number" in screen
    assert "enter a number up to 1,000,000,000,000" in screen
    assert "why:" in screen
    assert "did you mean term?" in screen
    assert answers["retrieval"] == "term"


def test_a_save_that_cannot_be_written_keeps_the_answers(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    answers = {"name": "kept", "evaluation.criteria_defined": False}
    prompter, _ = _prompter([])
    with pytest.raises(UserError) as caught:
        save(prompter, answers, tmp_path / "nodir" / "answers.yaml")
    assert "ftadvisor-draft.yaml" in caught.value.message
    assert load_profile(tmp_path / "ftadvisor-draft.yaml").name == "kept"


def test_the_save_prompt_says_what_enter_does() -> None:
    prompter, screen = _prompter(["-"])
    assert save(prompter, {"name": "x"}, None) is None
    assert "Enter for ftadvisor.yaml, or - to skip" in screen.getvalue()


def test_an_interrupted_review_keeps_its_tally(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    lines = [
        *start("half-reviewed"),
        *EVAL_READY,
        *NO_GOAL,
        *prompting(variants=4, examples=5),
        *NO_FILE,
        "n",  # one by one
        *["wrong date for the holiday", "", *FACTS],
        *["a wall of text", "", *FORM],
    ]  # then the input ends, mid-review
    prompter, _ = _prompter(lines)
    answers: dict[str, Any] = {}
    with pytest.raises(Interrupted) as caught:
        guarded(answers, lambda: interview(prompter, answers))
    assert caught.value.message.startswith("\n")  # not on the line of the ^C
    draft = load_profile(tmp_path / "ftadvisor-draft.yaml")
    assert (draft.failures.information, draft.failures.behavior) == (1, 1)


def test_a_pasted_multi_line_failure_is_one_failure() -> None:
    lines = [
        *start("pasted"),
        *EVAL_READY,
        *NO_GOAL,
        *prompting(variants=4, examples=5),
        *NO_FILE,
        "n",  # one by one
        "Q: how long is parental leave?",
        "A: 10 weeks.",
        "y",  # a line of the paste, not an answer
        "",  # the failure ends
        *FACTS,
        *END_REVIEW,
        "none",
    ]
    profile, _, _ = _run(lines)
    assert (profile.failures.information, profile.failures.behavior) == (1, 0)


def test_a_bracketed_paste_is_one_failure_whatever_empty_lines_it_holds() -> None:
    lines = [
        *start("bracketed"),
        *EVAL_READY,
        *NO_GOAL,
        *prompting(variants=4, examples=5),
        *NO_FILE,
        "n",  # one by one
        "\x1b[200~Q: how long is parental leave?",
        "",  # inside the paste: not the end of the failure
        "y",
        "A: 10 weeks.\x1b[201~",
        "",  # the failure ends
        *FACTS,
        *END_REVIEW,
        "\x1b[200~none\x1b[201~",  # a pasted answer is the answer
    ]
    profile, _, screen = _run(lines)
    assert (profile.failures.information, profile.failures.behavior) == (1, 0)
    assert "\x1b[20" not in screen


def test_the_training_file_answers_the_count_of_examples(tmp_path: Path) -> None:
    train = tmp_path / "train.jsonl"
    rows = [
        {
            "messages": [
                {"role": "user", "content": f"invoice {i}"},
                {"role": "assistant", "content": f"total {i}"},
            ]
        }
        for i in range(60)
    ]
    train.write_text("".join(json.dumps(r) + "\n" for r in [*rows, rows[0]]) + "{oops\n")
    lines = [
        *start("invoices"),
        *EVAL_READY,
        *NO_GOAL,
        *prompting(variants=6, examples=20),
        *counts(information=2, behavior=30),
        *["none", "n", "n", "n", "y"],  # retrieval, changing facts, private, multi-step, model
        str(tmp_path / "missing.jsonl"),  # said, and asked again
        str(train),  # 62 records: one duplicate and one malformed line are not usable
        *["some", "y", "y"],
    ]
    profile, answers, screen = _run(lines)
    assert answers["resources.training_examples"] == 60
    assert "missing.jsonl: cannot be read" in screen
    assert "62 records, 60 usable" in screen
    assert assess(profile).next_step.id == "prepare_finetune"
