"""The `ftadvisor` command: parse arguments, delegate to the library, map errors.

Commands only parse and delegate; the single handler in `main` turns every
`UserError` into a message on stderr and its exit code, and anything else into
exit 3 (a bug), never a traceback unless FTADVISOR_DEBUG is set.
"""

import contextlib
import io
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from typer.exceptions import TyperException

from ftadvisor._version import __version__
from ftadvisor.advice.pipeline import GATES, Gates, Report, Run, judge
from ftadvisor.cli import streams
from ftadvisor.cli import tally as tally_options
from ftadvisor.cli.data import data as data_command
from ftadvisor.cli.memory import memory as memory_command
from ftadvisor.errors import ExitCode, UserError, printable
from ftadvisor.files import refuse_output_onto_inputs, write_atomic
from ftadvisor.inputs import Input, ProfileData, expand, read
from ftadvisor.profile.model import Profile
from ftadvisor.render import Format, renderer
from ftadvisor.rules.loader import packaged_rules

_SETTINGS: dict[str, Any] = {
    "name": "ftadvisor",
    "help": "Should we finetune? Advice on adapting an LLM to your task, with sources.",
    "add_completion": False,
    "no_args_is_help": True,
    "pretty_exceptions_enable": False,
}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ftadvisor {__version__}")
        raise typer.Exit()


def _root(
    version: Annotated[
        bool | None,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = None,
) -> None:
    """Should we finetune? Advice on adapting an LLM to your task, with sources."""


def assess(
    paths: Annotated[
        list[str] | None,
        typer.Argument(metavar="[PROFILE]...", help="Profiles or directories, like --profile."),
    ] = None,
    profile: Annotated[
        list[str] | None,
        typer.Option(
            "--profile",
            "-p",
            metavar="FILE",
            help="Profile YAML, or a directory of them (repeatable); '-' reads standard input.",
        ),
    ] = None,
    output_format: Annotated[Format, typer.Option("--format", "-f", help="Report format.")] = (
        "text"
    ),
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write the report here (atomically)."),
    ] = None,
    fail_on: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-on",
            metavar="[" + "|".join(GATES) + "]",
            help="Exit 1 when the intent is premature, or on findings of this severity or worse.",
        ),
    ] = None,
    soft_fail: Annotated[
        bool, typer.Option("--soft-fail", help="Report failed gates but never exit 1.")
    ] = False,
    interactive: Annotated[
        bool,
        typer.Option(
            "--interactive", "-i", help="Ask on the terminal for what the profile leaves out."
        ),
    ] = False,
    full: Annotated[
        bool,
        typer.Option(
            "--full", help="Ask every question, even those that cannot change the advice."
        ),
    ] = False,
    no_input: Annotated[
        bool, typer.Option("--no-input", help="Never ask questions, even on a terminal.")
    ] = False,
    save: Annotated[
        Path | None,
        typer.Option("--save", metavar="PATH", help="Save an interactive session's answers here."),
    ] = None,
    evals: Annotated[
        list[str] | None,
        typer.Option(
            "--evals",
            metavar="PATH",
            help="Tally the profile's failures from these evaluation results (repeatable).",
            rich_help_panel=tally_options.PANEL,
        ),
    ] = None,
    mapping: tally_options.MapOption = None,
    thresholds: tally_options.ThresholdOption = None,
    provider: tally_options.ProviderOption = None,
    eval_id: tally_options.EvalIdOption = None,
    label_column: tally_options.LabelOption = None,
    input_format: tally_options.InputFormatOption = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            metavar="TRAIN.jsonl",
            help=(
                "Count usable training examples from this file (and the plan's sequence "
                "length, unless the profile states one)."
            ),
        ),
    ] = None,
    details: Annotated[
        bool,
        typer.Option(
            "--details", help="Text and Markdown: include the plan's general tips (JSON has them)."
        ),
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=0,
            metavar="N",
            help=(
                "Worker processes that assess a batch (default: one per CPU, up to 8, "
                "for 256 profiles or more; 0: all in this process). Output is the same."
            ),
        ),
    ] = None,
) -> int:
    """Recommend the next step for a project: from profiles, or by asking on a terminal."""
    sources = [*(profile or []), *(paths or [])]
    gates = Gates.parse(fail_on or (), soft_fail)
    render = renderer(output_format)
    if sources and not interactive:
        if save is not None:
            raise UserError("--save applies to interactive sessions (add --interactive)")
        inputs, batch = expand(sources)
        evidence: tuple[ProfileData, ...] = ()
        if data is not None:
            from ftadvisor.inputs.training import as_profile_data, inspect_file

            evidence = (as_profile_data(inspect_file(data), seq_len=True),)
        if evals:
            result = tally_options.counted(
                evals,
                mapping=mapping,
                thresholds=thresholds,
                provider=provider,
                eval_id=eval_id,
                label_column=label_column,
                input_format=input_format,
                asking=not no_input and tally_options.can_ask(),
            )
            evidence = (*evidence, result.as_profile_data())
        if output is not None:
            named = [i.given for i in inputs if not i.is_stdin]
            refuse_output_onto_inputs(output, [*named, *(s for s in sources if s != "-")])
        run = Run(inputs, gates, jobs=jobs, evidence=evidence)
        _emit(
            lambda out: render(_noted(run), out, batch=batch, rules=run.rules, details=details),
            output,
        )
        return run.status
    if len(sources) > 1:
        raise UserError("--interactive takes at most one profile")
    if no_input or sources == ["-"] or not stdin_is_terminal():
        raise UserError(
            "no profile given, and no terminal to ask questions on: pass --profile FILE "
            "(or --profile - to read standard input)"
            if not sources
            else "--interactive needs a terminal on standard input and output (and no --no-input)"
        )
    from rich.console import Console

    from ftadvisor.interview.session import Prompter, answered_keys, session

    if output is not None and sources:
        refuse_output_onto_inputs(output, sources)
    answers = answered_keys(read(Input(sources[0])).data) if sources else {}
    status = ExitCode.OK

    def show(p: Profile) -> None:
        nonlocal status
        (report,) = _noted([judge(p, gates)])
        status = max(status, report.status)
        _emit(
            lambda out: render([report], out, batch=False, rules=packaged_rules(), details=details),
            output,
        )

    session(Prompter(Console(highlight=False)), answers, full=full, save_to=save, show=show)
    return status


def _noted(reports: Iterable[Report]) -> Iterator[Report]:
    """The reports, each one's diagnostics printed on standard error as it passes."""
    for report in reports:
        for line in report.diagnostics:
            print(printable(line), file=sys.stderr)
        yield report


def _emit(write: Callable[[TextIO], None], output: Path | None) -> None:
    if output is None:
        if sys.stdout is None:
            raise UserError("standard output is closed: give --output FILE")
        try:
            write(sys.stdout)
            sys.stdout.flush()
        except BrokenPipeError:
            # Before typer sees it: click turns a broken pipe into exit 1, "gate failed".
            streams.reader_gone()
            raise typer.Exit(ExitCode.OK) from None
        return
    buffer = io.StringIO()
    write(buffer)
    write_atomic(output, buffer.getvalue())


def list_rules() -> None:
    """List the rules with their stable ids and one-line summaries."""
    from ftadvisor.rules.loader import packaged_rules

    rules = packaged_rules()
    for rule in (*rules.rungs, *rules.outcomes, *rules.facts, *rules.findings):
        spec = rule.spec
        typer.echo(f"{spec.id:<44} {spec.kind:<8} {spec.summary}")


def explain(rule_id: Annotated[str, typer.Argument(metavar="ID", help="A rule id.")]) -> None:
    """Show a rule: its condition, thresholds, rationale with sources, and examples."""
    from ftadvisor.rules.docs import explain_rule

    typer.echo(explain_rule(rule_id))


def schema() -> None:
    """Print the profile's JSON Schema (draft-07, for editors and validators)."""
    from ftadvisor.profile.schema import schema_text

    sys.stdout.write(schema_text())


def init(
    path: Annotated[Path, typer.Argument(help="Where to write the starter profile.")] = Path(
        "ftadvisor.yaml"
    ),
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Write a commented starter profile, and its schema beside it for editors."""
    from ftadvisor.profile.starter import write_starter

    for written in write_starter(path, force=force):
        typer.echo(f"wrote {written}")


def stdin_is_terminal() -> bool:
    """Questions need a person: both ends of the session must be a terminal."""
    try:
        return os.isatty(0) and os.isatty(1)
    except OSError:
        return False


def main(argv: list[str] | None = None) -> None:
    """The process entry point (`ftadvisor`, `python -m ftadvisor`); in-process callers
    use `run`, which returns the exit code instead of ending the process.

    Once the output is flushed nothing is left to do, so the process ends with
    `os._exit` rather than `sys.exit`: tearing down the interpreter's modules and
    objects costs more than the whole assessment (about 25 ms of a 250 ms run), and
    nothing of ours needs it, since every file we write is closed or renamed by then.
    """
    code = run(argv)
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except BrokenPipeError:
        pass  # the reader went away (`ftadvisor … | head`), as in `run`
    except (OSError, ValueError) as exc:
        print(f"ftadvisor: cannot write the output: {exc}", file=sys.stderr)
        code = max(code, ExitCode.BAD_INPUT)
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    os._exit(code)


def run(argv: list[str] | None = None) -> int:
    streams.prepare()
    try:
        result = _app_for(sys.argv[1:] if argv is None else argv)(
            args=argv, prog_name="ftadvisor", standalone_mode=False
        )
        if result == ExitCode.INTERRUPTED:  # typer turns Ctrl-C into a returned 130
            return _interrupted()
        return int(result) if isinstance(result, int) else ExitCode.OK
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        return _interrupted()
    except TyperException as exc:  # usage errors: unknown option, bad choice, …
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            print(f"ftadvisor: {exc.format_message()}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    except KeyboardInterrupt:
        return _interrupted()
    except UserError as exc:
        message = printable(exc.message)
        print(f"ftadvisor: {message}" if "\n" not in message else message, file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # The reader went away (`ftadvisor … | head`): not an error of ours or theirs.
        sys.stderr.close()
        return ExitCode.OK
    except OSError as exc:  # standard output itself failed: a full disk, a closed file
        print(f"ftadvisor: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    except Exception as exc:
        print(
            f"ftadvisor: internal error (a bug in ftadvisor, please report it): "
            f"{type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        if os.environ.get("FTADVISOR_DEBUG"):
            import traceback

            traceback.print_exc()
        return ExitCode.INTERNAL_ERROR


COMMANDS: dict[str, Callable[..., Any]] = {
    "assess": assess,
    "memory": memory_command,
    "data": data_command,
    "tally": tally_options.tally,
    "rules": list_rules,
    "explain": explain,
    "schema": schema,
    "init": init,
}
"""The subcommands, in the order help lists them."""


def make_app(only: str | None = None) -> typer.Typer:
    """The command-line app; with `only`, just that command.

    Typer builds the parser of every registered command on each run, a few milliseconds
    of a start-up that CI pays on every commit; the other commands matter only for the
    group's own help and errors, which a first argument that names a command never
    reaches. Help and errors are the same either way (tested).
    """
    app = typer.Typer(**_SETTINGS)
    app.callback()(_root)
    for name, command in COMMANDS.items():
        if only is None or only == name:
            app.command(name)(command)
    return app


def _app_for(argv: list[str]) -> typer.Typer:
    return make_app(argv[0] if argv and argv[0] in COMMANDS else None)


def _interrupted() -> int:
    print("ftadvisor: interrupted", file=sys.stderr)
    return ExitCode.INTERRUPTED
