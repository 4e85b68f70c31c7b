"""The profile loader: strict, located, bounded, and never a traceback.

Every test goes through a real file (or `parse_profile` for text), checks the
`Problem`s a user would read (line, dotted key, message), and covers the YAML
hazards the loader promises to defuse: YAML 1.1 booleans, duplicate keys, Python
tags, alias bombs, deep nesting, oversized or non-UTF-8 files.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from ftadvisor import Profile, ProfileError, load_profile
from ftadvisor.errors import Problem
from ftadvisor.profile.load import parse_profile
from ftadvisor.profile.model import Evaluation, Hardware, Needs, Prompting, Resources

MIB = 1_048_576

Write = Callable[..., Path]
ProblemsIn = Callable[[str], tuple[Problem, ...]]

# The profile example of ../shared/contract.md (revision 2), verbatim.
CONTRACT_EXAMPLE = """\
version: 1                     # required
name: invoice-extractor        # required, free text
task: Extract fields from supplier invoices into our JSON schema   # optional
goal:                          # optional; current and target together, or met alone
  metric: exact_match
  current: 0.71
  target: 0.90
  higher_is_better: true       # default true (false for error rates, latency, cost)
  # met: true                  # (rev 2) instead of current/target: quality is good
                               #   enough (a judgement, e.g. from production review)
evaluation:
  criteria_defined: true       # you know what "good" means
  pipeline: true               # you can score a change systematically
prompting:
  systematic: true             # clear instructions, versioned prompts,
                               #   several variants compared on the eval set
  variants_tested: 8           # prompt variants compared on the eval set
  few_shot_examples: 20        # most examples tried in one prompt
  strongest_model_tried: true  # best affordable model tried with best prompt
  decomposed: false            # (rev 2) the task already runs as a chain of prompts
                               #   or agents, one sub-task each
retrieval: none                # one of none | term | embedding | hybrid:
                               #   the most advanced retrieval already in place
finetuned: false               # a finetuned model is already in use
failures:                      # tallies from reviewing a sample of recent failures
  information: 1               # the fact needed was missing, wrong or outdated in
                               #   everything the model had (its training and the
                               #   context it was given)
  behavior: 11                 # the model had what it needed (e.g. the fact was in the
                               #   retrieved context) but the output failed on format,
                               #   style, relevance, safety or faithfulness to the context
needs:
  fresh_information: false     # answers depend on facts that change (news, prices, stock)
  private_knowledge: false     # answers depend on the organisation's own data
  strict_format: true          # output must follow a rare or strict syntax: a custom
                               #   JSON schema, an SQL dialect, a DSL
  lower_cost_or_latency: false # want a smaller, cheaper or faster model to do the job
  multi_step: false            # (rev 2) one prompt does several sub-tasks in a row (find
                               #   the tables, then write the query, then check it)
resources:
  training_examples: 1500      # high-quality (input, output) pairs available
  ml_expertise: some           # one of none | some | strong
  can_serve_custom_model: true # self-hosting, or a provider serving finetunes
  maintenance_budget: true     # owner and budget to re-evaluate and retrain
hardware:                      # optional
  gpu_memory_gb: 24            # as on the spec sheet (vendors' "24 GB" cards hold 24 GiB)
  gpu_count: 1
model:                         # optional
  params_billion: 7
  precision: bf16              # one of fp32 | fp16 | bf16 | int8 | int4
"""

HEAD = "version: 1\nname: demo\n"
"""Two valid lines, so that a snippet appended to it starts on line 3."""


def profile_text(snippet: str) -> str:
    """A profile around `snippet`: after HEAD, or after `version` if it sets `name`."""
    return ("version: 1\n" if snippet.startswith("name") else HEAD) + snippet + "\n"


@pytest.fixture
def write(tmp_path: Path) -> Write:
    def write(content: str | bytes, name: str = "ftadvisor.yaml") -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write


@pytest.fixture
def problems_in(write: Write) -> ProblemsIn:
    """The problems `load_profile` reports for a file with this text."""

    def problems_in(text: str) -> tuple[Problem, ...]:
        path = write(text)
        with pytest.raises(ProfileError) as caught:
            load_profile(path)
        assert all(p.file == str(path) for p in caught.value.problems)
        return caught.value.problems

    return problems_in


@pytest.fixture
def deadline() -> Iterator[None]:
    def expire(signum: int, frame: object) -> None:
        raise TimeoutError("the loader took more than 10 seconds")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(10)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def only(problems: tuple[Problem, ...]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


# --- valid profiles ---------------------------------------------------------------


def test_contract_example_loads_with_every_value(write: Write) -> None:
    profile = load_profile(write(CONTRACT_EXAMPLE))

    assert isinstance(profile, Profile)
    assert profile.version == 1
    assert profile.name == "invoice-extractor"
    assert profile.task == "Extract fields from supplier invoices into our JSON schema"
    assert profile.goal is not None
    assert profile.goal.metric == "exact_match"
    assert profile.goal.current == pytest.approx(0.71)
    assert profile.goal.target == pytest.approx(0.90)
    assert profile.goal.higher_is_better is True
    assert profile.goal.met is None
    assert profile.evaluation == Evaluation(criteria_defined=True, pipeline=True)
    assert profile.prompting == Prompting(
        systematic=True,
        variants_tested=8,
        few_shot_examples=20,
        strongest_model_tried=True,
        decomposed=False,
    )
    assert profile.retrieval == "none"
    assert profile.finetuned is False
    assert (profile.failures.information, profile.failures.behavior) == (1, 11)
    assert profile.needs == Needs(
        fresh_information=False,
        private_knowledge=False,
        strict_format=True,
        lower_cost_or_latency=False,
        multi_step=False,
    )
    assert profile.resources == Resources(
        training_examples=1500,
        ml_expertise="some",
        can_serve_custom_model=True,
        maintenance_budget=True,
    )
    assert profile.hardware is not None
    assert profile.hardware.gpu_memory_gb == 24
    assert profile.hardware.gpu_count == 1
    assert profile.model is not None
    assert profile.model.params_billion == 7
    assert profile.model.precision == "bf16"


def test_path_may_be_str_or_pathlike(write: Write) -> None:
    path = write(HEAD)
    assert load_profile(str(path)) == load_profile(path)


def test_omitted_keys_are_not_stated(write: Write) -> None:
    """Contract rev 2: an absent key is not stated (None), never a silent "no"."""
    profile = load_profile(write(HEAD))

    assert profile.name == "demo"
    assert (profile.task, profile.goal, profile.hardware, profile.model) == (None,) * 4
    assert (profile.retrieval, profile.finetuned) == (None, None)
    assert profile.evaluation == Evaluation(criteria_defined=None, pipeline=None)
    assert all(v is None for v in profile.prompting.model_dump().values())
    assert (profile.failures.information, profile.failures.behavior) == (None, None)
    assert profile.failures.total == 0
    assert all(v is None for v in profile.needs.model_dump().values())
    assert all(v is None for v in profile.resources.model_dump().values())


def test_null_is_not_stated_and_false_is_stated(write: Write) -> None:
    profile = load_profile(
        write(HEAD + "resources:\n  maintenance_budget: null\n  can_serve_custom_model: false\n")
    )
    assert profile.resources.maintenance_budget is None
    assert profile.resources.can_serve_custom_model is False


def test_empty_sections_take_their_defaults(write: Write) -> None:
    text = HEAD + "evaluation:\nprompting:\nfailures:\nneeds:\nresources:\nhardware:\nmodel:\n"
    profile = load_profile(write(text))

    assert profile.evaluation == Evaluation()
    assert profile.prompting == Prompting()
    assert profile.failures.total == 0
    assert profile.needs == Needs()
    assert profile.resources == Resources()
    assert profile.hardware == Hardware(gpu_memory_gb=None, gpu_count=1)
    assert profile.model is not None
    assert (profile.model.params_billion, profile.model.precision) == (None, "bf16")


@pytest.mark.parametrize(
    "snippet",
    ["retrieval: 'none'", 'retrieval: "none"', "resources:\n  ml_expertise: 'none'"],
)
def test_quoted_none_is_the_word(write: Write, snippet: str) -> None:
    profile = load_profile(write(HEAD + snippet + "\n"))
    assert "none" in (profile.retrieval, profile.resources.ml_expertise)


def test_anchors_and_aliases_within_limits_are_fine(write: Write) -> None:
    profile = load_profile(write("version: 1\nname: &n shared\ntask: *n\n"))
    assert profile.task == profile.name == "shared"


def test_utf8_bom_is_accepted(write: Write) -> None:
    profile = load_profile(write(b"\xef\xbb\xbf" + CONTRACT_EXAMPLE.encode()))
    assert profile.name == "invoice-extractor"


def test_utf8_bom_does_not_shift_line_numbers(write: Write) -> None:
    path = write(b"\xef\xbb\xbf" + (HEAD + "retrieval: maybe\n").encode())
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    problem = only(caught.value.problems)
    assert (problem.line, problem.key) == (3, "retrieval")


def test_profile_is_immutable(write: Write) -> None:
    profile = load_profile(write(CONTRACT_EXAMPLE))

    with pytest.raises(ValidationError, match="frozen"):
        profile.name = "other"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        profile.resources.training_examples = 0  # type: ignore[misc]
    assert profile.name == "invoice-extractor"
    assert profile.resources.training_examples == 1500


# --- every problem, located -------------------------------------------------------


def test_every_problem_is_reported_sorted_by_line(problems_in: ProblemsIn) -> None:
    problems = problems_in(
        HEAD
        + "resources:\n"  # 3
        + "  training_examples: -4\n"  # 4
        + "needs:\n"  # 5
        + "  fresh_informaton: true\n"  # 6
        + "retrieval: maybe\n"  # 7
    )

    assert [(p.line, p.key) for p in problems] == [
        (4, "resources.training_examples"),
        (6, "needs.fresh_informaton"),
        (7, "retrieval"),
    ]
    assert "≥ 0" in problems[0].message
    assert "did you mean 'fresh_information'?" in problems[1].message
    assert "'maybe'" in problems[2].message


def test_every_yaml_level_problem_is_reported(problems_in: ProblemsIn) -> None:
    problems = problems_in(
        HEAD
        + "name: again\n"  # 3
        + "task: !!binary aGk=\n"  # 4
        + "needs:\n"  # 5
        + "  strict_format: true\n"  # 6
        + "  strict_format: false\n"  # 7
    )

    assert [(p.line, p.key) for p in problems] == [
        (3, "name"),
        (4, "task"),
        (7, "needs.strict_format"),
    ]


def test_str_of_error_has_one_line_per_problem(write: Write) -> None:
    path = write(HEAD + "retrieval: maybe\nfailures:\n  behavior: -1\n")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)

    assert str(caught.value).splitlines() == [
        f"{path}:3: retrieval: expected one of 'none', 'term', 'embedding' or 'hybrid', "
        "got 'maybe'",
        f"{path}:5: failures.behavior: expected a number ≥ 0, got -1",
    ]
    assert str(caught.value).splitlines() == [
        f"{p.file}:{p.line}: {p.key}: {p.message}" for p in caught.value.problems
    ]


def test_str_of_error_without_a_key_omits_it(write: Write) -> None:
    path = write("- a\n- b\n")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert str(caught.value) == (
        f"{path}:1: a profile is a mapping of keys (version, name, …), not a list"
    )


# --- unknown keys -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("snippet", "line", "key", "suggestion"),
    [
        ("retreival: none", 3, "retreival", "retrieval"),
        ("finetune: true", 3, "finetune", "finetuned"),
        (
            "evaluation:\n  criteria_defind: true",
            4,
            "evaluation.criteria_defind",
            "criteria_defined",
        ),
        ("resources:\n  training_example: 5", 4, "resources.training_example", "training_examples"),
        (
            "goal:\n  current: 1\n  target: 2\n  higer_is_better: false",
            6,
            "goal.higer_is_better",
            "higher_is_better",
        ),
    ],
)
def test_unknown_key_suggests_the_closest_known_key(
    problems_in: ProblemsIn, snippet: str, line: int, key: str, suggestion: str
) -> None:
    problem = only(problems_in(HEAD + snippet + "\n"))
    assert (problem.line, problem.key) == (line, key)
    assert f"did you mean '{suggestion}'?" in problem.message


@pytest.mark.parametrize(
    ("snippet", "key", "valid"),
    [
        ("zzzqqq: 1", "zzzqqq", list(Profile.model_fields)),
        ("needs:\n  zzzqqq: true", "needs.zzzqqq", list(Needs.model_fields)),
    ],
)
def test_unknown_key_without_close_match_lists_valid_keys(
    problems_in: ProblemsIn, snippet: str, key: str, valid: list[str]
) -> None:
    problem = only(problems_in(HEAD + snippet + "\n"))
    assert problem.key == key
    assert "did you mean" not in problem.message
    assert problem.message.endswith("expected one of: " + ", ".join(valid))


@pytest.mark.parametrize("key", ["my-key", "'a b'", "~", "1"])
def test_unknown_non_identifier_top_level_key_is_a_problem(write: Write, key: str) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile(write(HEAD + f"{key}: 1\n"))
    problem = only(caught.value.problems)
    assert problem.line == 3
    assert problem.message.startswith("unknown key")


def test_unknown_non_identifier_nested_key_names_itself(problems_in: ProblemsIn) -> None:
    problem = only(problems_in(HEAD + "needs:\n  strict-format: true\n"))
    assert (problem.line, problem.key) == (4, "needs.strict-format")
    assert "did you mean 'strict_format'?" in problem.message


# --- YAML 1.1 surprises -----------------------------------------------------------


@pytest.mark.parametrize(
    ("snippet", "line", "key", "plain", "read_as"),
    [
        ("retrieval: no", 3, "retrieval", "no", "false"),
        ("retrieval: off", 3, "retrieval", "off", "false"),
        ("resources:\n  ml_expertise: off", 4, "resources.ml_expertise", "off", "false"),
        ("resources:\n  ml_expertise: no", 4, "resources.ml_expertise", "no", "false"),
        ("model:\n  precision: yes", 4, "model.precision", "yes", "true"),
    ],
)
def test_boolean_where_a_word_is_expected_cites_the_text(
    problems_in: ProblemsIn, snippet: str, line: int, key: str, plain: str, read_as: str
) -> None:
    problem = only(problems_in(HEAD + snippet + "\n"))
    assert (problem.line, problem.key) == (line, key)
    assert f"`{plain}`" in problem.message
    assert read_as in problem.message


@pytest.mark.parametrize("snippet", ["retrieval: no", "resources:\n  ml_expertise: no"])
def test_unquoted_no_suggests_none(problems_in: ProblemsIn, snippet: str) -> None:
    assert "did you mean 'none'?" in only(problems_in(HEAD + snippet + "\n")).message


@pytest.mark.parametrize("snippet", ["retrieval: no", "resources:\n  ml_expertise: off"])
def test_boolean_where_a_word_is_expected_says_to_quote(
    problems_in: ProblemsIn, snippet: str
) -> None:
    assert "quote" in only(problems_in(HEAD + snippet + "\n")).message


@pytest.mark.parametrize(
    ("snippet", "key", "plain", "read_as"),
    [
        ("name: 1.10", "name", "1.10", "float"),
        ("name: 123", "name", "123", "int"),
        ("name: no", "name", "no", "bool"),
        ("name: 2024-01-31", "name", "2024-01-31", "date"),
        ("task: yes", "task", "yes", "bool"),
        ("goal:\n  metric: 3.14\n  current: 1\n  target: 2", "goal.metric", "3.14", "float"),
    ],
)
def test_non_text_where_text_is_expected_suggests_quoting(
    problems_in: ProblemsIn, snippet: str, key: str, plain: str, read_as: str
) -> None:
    problem = only(problems_in(profile_text(snippet)))
    assert problem.key == key
    assert f"quote it, e.g. '{plain}'" in problem.message
    assert f"as {read_as}" in problem.message


def test_quoted_numbers_are_text(write: Write) -> None:
    profile = load_profile(write("version: 1\nname: '1.10'\ntask: \"123\"\n"))
    assert (profile.name, profile.task) == ("1.10", "123")


# --- no coercions -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("snippet", "line", "key", "fragment"),
    [
        ('failures:\n  behavior: "3"', 4, "failures.behavior", "whole number"),
        ("resources:\n  training_examples: 1.5", 4, "resources.training_examples", "whole number"),
        ("resources:\n  training_examples: 1500.0", 4, "resources.training_examples", "whole"),
        ("resources:\n  training_examples: true", 4, "resources.training_examples", "true/false"),
        ("failures:\n  information: -1", 4, "failures.information", "≥ 0"),
        ("prompting:\n  variants_tested: -3", 4, "prompting.variants_tested", "≥ 0"),
        ("goal:\n  current: .nan\n  target: 1", 4, "goal.current", "finite"),
        ("goal:\n  current: .inf\n  target: 1", 4, "goal.current", "finite"),
        ("goal:\n  current: 0\n  target: -.inf", 5, "goal.target", "finite"),
        ("goal:\n  current: '0.5'\n  target: 1", 4, "goal.current", "number"),
        ("goal:\n  current: false\n  target: 1", 4, "goal.current", "true/false"),
        (
            "goal:\n  current: 0\n  target: 1\n  higher_is_better: 'no'",
            6,
            "goal.higher_is_better",
            "true or false",
        ),
        ("evaluation:\n  pipeline: 1", 4, "evaluation.pipeline", "true or false"),
        ("finetuned: 'yes'", 3, "finetuned", "true or false"),
        ("hardware:\n  gpu_memory_gb: 0", 4, "hardware.gpu_memory_gb", "> 0"),
        ("model:\n  params_billion: -7", 4, "model.params_billion", "> 0"),
        ("model:\n  precision: bf61", 4, "model.precision", "did you mean 'bf16'?"),
        ("model:\n  precision: null", 4, "model.precision", "null"),
        ("retrieval: Hybrid", 3, "retrieval", "'Hybrid'"),
        ("needs: [strict_format]", 3, "needs", "section"),
        ("needs: yes", 3, "needs", "section"),
        ("name:", 2, "name", "null"),
    ],
)
def test_wrong_types_are_errors_not_coercions(
    problems_in: ProblemsIn, snippet: str, line: int, key: str, fragment: str
) -> None:
    problem = only(problems_in(profile_text(snippet)))
    assert (problem.line, problem.key) == (line, key)
    assert fragment in problem.message


@pytest.mark.parametrize(
    "text",
    [
        "version: 2\nname: x\n",
        "version: true\nname: x\n",
        "version: '1'\nname: x\n",
        "version: 0\nname: x\n",
        "version:\nname: x\n",
        "name: x\n",
    ],
)
def test_version_must_be_the_integer_1(problems_in: ProblemsIn, text: str) -> None:
    problem = only(problems_in(text))
    assert problem.key == "version"
    assert problem.line == 1


def test_version_as_a_float_is_refused(problems_in: ProblemsIn) -> None:
    assert only(problems_in("version: 1.0\nname: x\n")).key == "version"


@pytest.mark.parametrize(("text", "fragment"), [('name: ""', "empty"), ("name: ''", "empty")])
def test_name_must_not_be_empty(problems_in: ProblemsIn, text: str, fragment: str) -> None:
    problem = only(problems_in("version: 1\n" + text + "\n"))
    assert (problem.line, problem.key) == (2, "name")
    assert fragment in problem.message


def test_missing_name_is_reported(problems_in: ProblemsIn) -> None:
    problem = only(problems_in("version: 1\ntask: something\n"))
    assert problem.key == "name"
    assert "missing" in problem.message


@pytest.mark.parametrize(
    ("goal", "expected"),
    [
        ("goal:\n  current: 0.5\n", "target is missing"),
        ("goal:\n  target: 0.9\n", "current is missing"),
        ("goal:\n  metric: f1\n", "needs current and target, or met"),
        ("goal:\n  met: true\n  current: 0.5\n  target: 0.9\n", "not both"),
        ("goal:\n  met: true\n  target: 0.9\n", "not both"),
    ],
)
def test_a_goal_is_measured_or_judged(problems_in: ProblemsIn, goal: str, expected: str) -> None:
    (problem,) = problems_in(HEAD + "task: t\n" + goal)
    assert problem.key == "goal"
    assert problem.line == 4, "located at the `goal:` line"
    assert expected in problem.message


def test_an_empty_goal_states_nothing(write: Write) -> None:
    assert load_profile(write(HEAD + "goal:\n")).goal is None


def test_a_judged_goal_loads(write: Write) -> None:
    goal = load_profile(write(HEAD + "goal:\n  met: true\n")).goal
    assert goal is not None and goal.met is True and goal.reached


def test_gpu_count_must_be_at_least_one(problems_in: ProblemsIn) -> None:
    problem = only(problems_in(HEAD + "hardware:\n  gpu_count: 0\n"))
    assert (problem.line, problem.key) == (4, "hardware.gpu_count")


# --- duplicate keys ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("snippet", "line", "key", "first"),
    [
        ("name: again", 3, "name", 2),
        ("retrieval: term\nfinetuned: true\nretrieval: hybrid", 5, "retrieval", 3),
        ("needs:\n  strict_format: true\n  strict_format: false", 5, "needs.strict_format", 4),
        ("goal:\n  current: 1\n  target: 2\n  current: 3", 6, "goal.current", 4),
        ("needs:\n  strict_format: true\nneeds:\n  strict_format: false", 5, "needs", 3),
    ],
)
def test_duplicate_key_is_an_error_at_the_second_occurrence(
    problems_in: ProblemsIn, snippet: str, line: int, key: str, first: int
) -> None:
    problem = only(problems_in(HEAD + snippet + "\n"))
    assert (problem.line, problem.key) == (line, key)
    assert "duplicate" in problem.message
    assert f"line {first}" in problem.message


# --- hostile YAML -----------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        'name: !!python/object/apply:os.system ["touch {marker}"]',
        "name: !!python/object/apply:subprocess.call [[touch, {marker}]]",
        "name: !!python/object/new:subprocess.Popen [[touch, {marker}]]",
        "needs: !!python/object/apply:os.system {{args: ['touch {marker}']}}",
        "task: !!python/name:os.system",
        "task: !!python/object:argparse.Namespace {{a: 1}}",
    ],
)
def test_python_tags_are_refused_and_never_run(
    tmp_path: Path, problems_in: ProblemsIn, template: str
) -> None:
    marker = tmp_path / "executed"
    problem = only(problems_in(profile_text(template.format(marker=marker))))

    assert "not allowed" in problem.message
    assert "python/" in problem.message
    assert not marker.exists()


def test_python_tag_on_the_whole_document_is_refused(
    tmp_path: Path, problems_in: ProblemsIn
) -> None:
    marker = tmp_path / "executed"
    problem = only(problems_in(f'!!python/object/apply:os.system ["touch {marker}"]\n'))
    assert "not allowed" in problem.message
    assert not marker.exists()


@pytest.mark.parametrize(
    "snippet",
    [
        "task: !!binary aGk=",
        "needs: !!set {strict_format}",
        "task: !include other.yaml",
        "needs: !!omap [{strict_format: true}]",
    ],
)
def test_other_non_plain_tags_are_refused(problems_in: ProblemsIn, snippet: str) -> None:
    problem = only(problems_in(HEAD + snippet + "\n"))
    assert problem.line == 3
    assert "not allowed" in problem.message


def test_merge_keys_are_refused(problems_in: ProblemsIn) -> None:
    text = "base: &b {strict_format: true}\nversion: 1\nname: x\nneeds:\n  <<: *b\n"
    problem = only(problems_in(text))
    assert problem.line == 5
    assert "merge" in problem.message


def test_alias_bomb_is_refused(problems_in: ProblemsIn, deadline: None) -> None:
    lines = ['lol0: &a0 "lol"']
    lines += [f"lol{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    problem = only(problems_in("\n".join(lines) + "\n"))
    assert "aliases" in problem.message
    assert "values" in problem.message


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 5000 + "\n",
        "a: " + "[" * 5000 + "]" * 5000 + "\n",
        "a: " + "{b: " * 5000 + "1" + "}" * 5000 + "\n",
        "".join("  " * i + f"k{i}:\n" for i in range(60)),
    ],
    ids=["unclosed-lists", "lists", "maps", "block-maps"],
)
def test_deep_nesting_is_a_profile_error(problems_in: ProblemsIn, text: str) -> None:
    assert problems_in(text)


@pytest.mark.parametrize("depth", [900, 5000], ids=["libyaml", "pure-python"])
def test_deep_nesting_on_either_parser(problems_in: ProblemsIn, depth: int) -> None:
    # Below the bracket threshold libyaml composes it; above, the pure-Python loader does.
    problem = only(problems_in("a: " + "[" * depth + "]" * depth + "\n"))
    assert "nesting" in problem.message


@pytest.mark.parametrize("opener", ["[", "{a: "])
def test_nesting_up_to_the_size_limit_does_not_crash(tmp_path: Path, opener: str) -> None:
    depth = (MIB - 16) // (len(opener) + 1)
    path = tmp_path / "deep.yaml"
    closer = {"[": "]", "{a: ": "}"}[opener]
    path.write_text("a: " + opener * depth + closer * depth + "\n")
    assert path.stat().st_size <= MIB
    code = (
        "import sys\n"
        "from ftadvisor import ProfileError, load_profile\n"
        "try:\n"
        "    load_profile(sys.argv[1])\n"
        "except ProfileError:\n"
        "    print('refused')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120
    )
    assert (result.returncode, result.stdout.strip()) == (0, "refused"), result.stderr[-2000:]


# --- bytes on disk ----------------------------------------------------------------


def test_file_over_one_mib_is_refused_before_parsing(write: Write) -> None:
    head = (HEAD + "#").encode()
    padding = "é".encode() * ((MIB - len(head)) // 2)
    raw = head + padding + b"\xff" * (MIB + 1 - len(head) - len(padding))
    assert len(raw) == MIB + 1
    assert len(raw.decode("utf-8", "replace")) < MIB
    path = write(raw)
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    problem = only(caught.value.problems)
    assert problem.file == str(path)
    assert "UTF-8" not in problem.message
    assert f"larger than {MIB:,} bytes" in problem.message


def test_file_of_exactly_one_mib_is_read(write: Write) -> None:
    valid = HEAD.encode()
    assert load_profile(write(valid + b"#" * (MIB - len(valid)))).name == "demo"


def test_text_over_the_limit_is_refused_by_parse_profile() -> None:
    with pytest.raises(ProfileError, match="limited to"):
        parse_profile(HEAD + "#" * MIB, "stdin")


@pytest.mark.parametrize(
    ("raw", "line"),
    [
        (b"version: 1\nname: caf\xe9\n", 2),
        (b"version: 1\nname: x\ntask: ok\n\n# \xff\xfe\n", 5),
        (b"\xe9: 1\n", 1),
        (b"version: 1\nname: \xe2\x82\n", 2),
    ],
)
def test_non_utf8_bytes_name_their_line(write: Write, raw: bytes, line: int) -> None:
    path = write(raw)
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    problem = only(caught.value.problems)
    assert (problem.file, problem.line) == (str(path), line)
    assert "UTF-8" in problem.message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("\n\n  \n", "empty"),
        ("# only a comment\n", "empty"),
        ("- version: 1\n- name: x\n", "not a list"),
        ("just some words\n", "not a single value"),
        ("42\n", "not a single value"),
    ],
)
def test_documents_that_are_not_a_mapping(
    problems_in: ProblemsIn, text: str, fragment: str
) -> None:
    problem = only(problems_in(text))
    assert problem.line == 1
    assert fragment in problem.message


def test_a_bare_document_marker_is_an_empty_file(problems_in: ProblemsIn) -> None:
    problem = only(problems_in("---\n"))
    assert problem.line == 1
    assert "empty" in problem.message


def test_several_documents_are_refused(problems_in: ProblemsIn) -> None:
    problem = only(problems_in("---\nversion: 1\nname: a\n---\nversion: 1\nname: b\n"))
    assert problem.line == 4
    assert "document" in problem.message


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (HEAD + "\tretrieval: none\n", 3),
        (HEAD + "needs: [unclosed\n", 4),
        (HEAD + "task: 'unterminated\n", 4),
    ],
)
def test_invalid_yaml_is_located(problems_in: ProblemsIn, text: str, line: int) -> None:
    problem = only(problems_in(text))
    assert problem.line == line
    assert problem.message.startswith("not valid YAML")


def test_directory_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile(tmp_path)
    problem = only(caught.value.problems)
    assert problem.file == str(tmp_path)
    assert "directory" in problem.message
    assert str(caught.value).startswith(f"{tmp_path}: ")


def test_missing_file_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    problem = only(caught.value.problems)
    assert problem.file == str(path)
    assert "no such file" in problem.message
    assert str(caught.value) == f"{path}: no such file"
