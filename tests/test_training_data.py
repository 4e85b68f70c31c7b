"""`ftadvisor data` and `assess --data`: the training file decides the example count.

The files here are written in the formats themselves (OpenAI/TRL chat JSONL,
prompt/completion, Alpaca, ShareGPT, text): they are the teams' own data, not another
tool's output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ftadvisor import load_profile
from ftadvisor.inputs.training import SEQ_LEN_STEP, inspect_file

from .conftest import EXAMPLES

LONG = (
    "The supplier invoice lists a net amount, the tax rate, the total due and the "
    "payment terms, and the model must copy each into the right field of our schema"
)


def chat(user: str, assistant: str, system: str | None = None) -> dict:
    messages = [{"role": "system", "content": system}] if system else []
    messages += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    return {"messages": messages}


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ftadvisor", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
    )


def write(path: Path, rows: list) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows),
        encoding="utf-8",
    )
    return path


def test_every_kind_of_problem_is_counted_with_its_lines(tmp_path: Path) -> None:
    rows: list = [
        chat(f"invoice {i}: {LONG} number {i * 7919}", f'{{"id": {i}}}') for i in range(50)
    ]
    rows += [
        rows[3],  # exact duplicate
        chat(f"INVOICE 3:  {LONG} number {3 * 7919}", '{"id": 3}'),  # same, other case/space
        chat(f"invoice 4: {LONG} number {4 * 7919} please", '{"id": 4}'),  # near duplicate
        "{not json",
        {"messages": [{"role": "user", "content": "hi"}]},  # no assistant turn
        {"messages": [{"role": "robot", "content": "x"}, {"role": "assistant", "content": "y"}]},
        {"messages": "not a list"},
        {"messages": [{"role": "user", "content": "q"}], "extra": 1},
        chat("a question", "   "),  # empty output
    ]
    path = write(tmp_path / "train.jsonl", rows)
    evalset = write(tmp_path / "eval.jsonl", [rows[10]])
    report = inspect_file(path, eval_path=evalset)
    assert report.format == "chat"
    assert report.records == 59
    assert report.problems == {
        "malformed": 1,
        "format_error": 4,
        "empty_output": 1,
        "duplicate": 2,
        "near_duplicate": 1,
        "too_long": 0,
        "in_eval_set": 1,
    }
    assert report.usable == 49
    assert report.lines["malformed"] == (54,)
    assert report.lines["duplicate"] == (51, 52)
    assert report.tokens is not None and report.tokens.method == "approximate"
    assert report.seq_len is not None and report.seq_len % SEQ_LEN_STEP == 0
    assert report.seq_len >= report.tokens.p95


@pytest.mark.parametrize(
    ("fmt", "row"),
    [
        ("prompt_completion", {"prompt": "What is 2+2?", "completion": "4"}),
        (
            "prompt_completion",
            {
                "prompt": [{"role": "user", "content": "What is 2+2?"}],
                "completion": [{"role": "assistant", "content": "4"}],
            },
        ),
        ("alpaca", {"instruction": "Add the numbers", "input": "2 and 2", "output": "4"}),
        (
            "sharegpt",
            {"conversations": [{"from": "human", "value": "2+2?"}, {"from": "gpt", "value": "4"}]},
        ),
        ("text", {"text": "### Question: 2+2?\n### Answer: 4"}),
    ],
)
def test_each_common_format_is_detected(tmp_path: Path, fmt: str, row: dict) -> None:
    rows = []
    for i in range(5):
        varied = json.loads(json.dumps(row).replace("2", str(i + 2)))
        rows.append(varied)
    report = inspect_file(write(tmp_path / "t.jsonl", rows))
    assert (report.format, report.usable) == (fmt, 5)


def test_long_examples_and_label_balance(tmp_path: Path) -> None:
    rows = [
        chat(f"ticket {i}: {LONG} {i}", ["billing", "bug", "account"][i % 3]) for i in range(30)
    ]
    rows.append(chat("ticket long: " + "word " * 400, "bug"))
    report = inspect_file(write(tmp_path / "t.jsonl", rows), max_tokens=200)
    assert report.problems["too_long"] == 1
    assert report.labels == {"billing": 10, "bug": 10, "account": 10}


def test_the_cli_prints_the_contract_shape_and_refuses_bad_input(tmp_path: Path) -> None:
    path = write(tmp_path / "t.jsonl", [chat(f"q{i} {LONG}", f"a{i}") for i in range(3)])
    done = subprocess.run(
        [sys.executable, "-m", "ftadvisor", "data", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert {"path", "format", "records", "usable", "problems", "tokens"} <= set(doc)
    assert set(doc["problems"]) == {
        "malformed",
        "format_error",
        "empty_output",
        "duplicate",
        "near_duplicate",
        "too_long",
        "in_eval_set",
    }
    assert {"method", "total", "p50", "p95", "max"} <= set(doc["tokens"])
    for bad in ("/dev/zero", str(tmp_path / "missing.jsonl")):
        refused = subprocess.run(
            [sys.executable, "-m", "ftadvisor", "data", bad],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert refused.returncode == 2 and "Traceback" not in refused.stderr


def test_a_tokenizer_without_the_extra_is_an_input_error(tmp_path: Path) -> None:
    path = write(tmp_path / "t.jsonl", [chat("q", "a")])
    try:
        import tokenizers  # noqa: F401
    except ImportError:
        done = subprocess.run(
            [sys.executable, "-m", "ftadvisor", "data", str(path), "--tokenizer", "tok.json"],
            capture_output=True,
            text=True,
            timeout=30,
            cwd=tmp_path,
        )
        assert done.returncode == 2 and "ftadvisor[tokens]" in done.stderr
    else:
        pytest.skip("tokenizers is installed")


def test_assess_takes_the_count_and_length_from_the_data(tmp_path: Path) -> None:
    profile = EXAMPLES / "invoice-extractor.yaml"  # states 1500 examples
    stated = load_profile(profile)
    assert stated.resources.training_examples == 1500
    rows = [chat(f"invoice {i}: {LONG} " * 6 + str(i), f'{{"id": {i}}}') for i in range(60)]
    path = write(tmp_path / "train.jsonl", rows)
    done = cli("assess", "--profile", str(profile), "--data", str(path), "-f", "json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    # 60 usable examples are under the PEFT floor: the data, not the profile, decides.
    assert doc["next_step"]["id"] == "prepare_finetune"
    assert any(f["rule"] == "finding.readiness-training-data" for f in doc["findings"])
    assert "resources.training_examples: 60 from" in done.stderr
    assert "replaces the profile's 1500" in done.stderr


def test_the_plan_takes_its_sequence_length_from_the_data_unless_stated(tmp_path: Path) -> None:
    rows = [chat(f"invoice {i}: {LONG} " * 12 + str(i), f'{{"id": {i}}}') for i in range(150)]
    path = write(tmp_path / "train.jsonl", rows)
    expected = inspect_file(path).seq_len
    assert expected is not None and expected > 128
    for text, seq in (("", expected), ("training: {seq_len: 4096}\n", 4096)):
        profile = tmp_path / "p.yaml"
        profile.write_text(
            (EXAMPLES / "email-reply-drafter.yaml").read_text(encoding="utf-8") + text,
            encoding="utf-8",
        )
        done = cli("assess", "--profile", str(profile), "--data", str(path), "-f", "json")
        plan = json.loads(done.stdout)["plan"]
        assert plan is not None, done.stdout[:300]
        assert f"sequence length {seq}," in plan["assumptions"][0]


def test_the_same_file_gets_the_same_answer_on_every_run(tmp_path: Path) -> None:
    """No salted hashing: near-duplicate detection must not depend on PYTHONHASHSEED."""
    rows = [chat(f"invoice {i}: {LONG} number {i * 7919}", f'{{"id": {i}}}') for i in range(40)]
    rows += [
        chat(f"invoice {i}: {LONG} number {i * 7919} please", f'{{"id": {i}}}') for i in range(10)
    ]
    path = write(tmp_path / "t.jsonl", rows)
    answers = {
        subprocess.run(
            [sys.executable, "-m", "ftadvisor", "data", str(path), "--format", "json"],
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("0", "1", "2", "3")
    }
    assert len(answers) == 1
    assert json.loads(answers.pop())["problems"]["near_duplicate"] == 10


def test_a_long_shared_system_prompt_does_not_make_examples_alike(tmp_path: Path) -> None:
    """Most chat files repeat one system prompt on every line; compared whole, 1,000
    distinct questions under a 400-word prompt were all but one near duplicates."""
    system = " ".join(f"rule{i % 97} clause{i}" for i in range(200))
    rows = [
        chat(
            f"question {i}: {' '.join(f'w{i * 31 + j}' for j in range(30))}", f"answer {i}", system
        )
        for i in range(200)
    ]
    rows.append(chat(rows[7]["messages"][1]["content"] + " please", "answer 7", system))
    report = inspect_file(write(tmp_path / "t.jsonl", rows))
    assert report.problems["near_duplicate"] == 1
    assert report.lines["near_duplicate"] == (201,)
    assert report.usable == 200
    assert report.tokens is not None and report.tokens.p50 > len(system) // 4  # still counted


def test_near_duplicate_memory_is_bounded_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ftadvisor.inputs import training

    monkeypatch.setattr(training, "MAX_INDEXED", 30)
    rows = [chat(f"invoice {i}: {LONG} number {i * 7919}", f'{{"id": {i}}}') for i in range(50)]
    rows += [
        chat(f"invoice {i}: {LONG} number {i * 7919} please", f'{{"id": {i}}}') for i in (3, 40)
    ]
    report = training.inspect_file(write(tmp_path / "t.jsonl", rows))
    assert report.unindexed == 21  # 20 originals and the near duplicate of one of them
    assert report.document()["near_duplicate_unindexed"] == 21
    assert report.lines["near_duplicate"] == (51,)  # 40 came after the bound: not remembered


def test_the_text_report_says_when_near_duplicate_search_was_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ftadvisor.cli.app import run
    from ftadvisor.inputs import training

    path = write(
        tmp_path / "t.jsonl",
        [chat(f"q{i} " + " ".join(f"w{i}x{j}" for j in range(9)), f"a {i}") for i in range(5)],
    )
    assert run(["data", str(path)]) == 0
    assert "searched among" not in capsys.readouterr().out
    monkeypatch.setattr(training, "MAX_INDEXED", 2)
    assert run(["data", str(path)]) == 0
    assert "searched among the first 2 distinct examples; 3 later ones" in capsys.readouterr().out
