"""The `ftadvisor` command: parse arguments, delegate to the library, map errors.

Commands only parse and delegate; the single handler in `main` turns every
`UserError` into a message on stderr and its exit code, and anything else into
exit 3 (a bug), never a traceback unless FTADVISOR_DEBUG is set.
"""

from __future__ import annotations

import os
import sys
import traceback
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from typer.exceptions import TyperException

from ._engine import assess as assess_profile
from ._errors import ExitCode, UserError
from ._load import parse_profile, read_profile
from ._render import Report, renderer
from ._version import __version__
from ._yaml import decode

app = typer.Typer(
    name="ftadvisor",
    help="Should we finetune? Advice on adapting an LLM to your task, with sources.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


class Format(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ftadvisor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool | None,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = None,
) -> None:
    """Should we finetune? Advice on adapting an LLM to your task, with sources."""


@app.command()
def assess(
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            "-p",
            metavar="FILE",
            help="Profile YAML to assess; '-' reads it from standard input.",
        ),
    ] = None,
    output_format: Annotated[Format, typer.Option("--format", "-f", help="Report format.")] = (
        Format.text
    ),
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
) -> None:
    """Recommend the next step for a project: from a profile, or by asking on a terminal."""
    loaded = None
    if profile == "-":
        loaded = parse_profile(decode(sys.stdin.buffer.read(), "<stdin>"), "<stdin>")
    elif profile is not None:
        loaded = read_profile(Path(profile))
    render = renderer(output_format.value)
    if loaded is not None and not interactive:
        if save is not None:
            raise UserError("--save applies to interactive sessions (add --interactive)")
        render([Report(assess_profile(loaded.profile), loaded)], sys.stdout)
        return
    if no_input or profile == "-" or not stdin_is_terminal():
        raise UserError(
            "no profile given, and no terminal to ask questions on: pass --profile FILE "
            "(or --profile - to read standard input)"
            if loaded is None
            else "--interactive needs a terminal on standard input and output (and no --no-input)"
        )
    from rich.console import Console

    from ._interview import Prompter, answered_keys, session

    answers = answered_keys(loaded.document.data) if loaded else {}
    session(
        Prompter(Console(highlight=False)),
        answers,
        full=full,
        save_to=save,
        show=lambda p: render([Report(assess_profile(p))], sys.stdout),
    )


def stdin_is_terminal() -> bool:
    """Questions need a person: both ends of the session must be a terminal."""
    try:
        return os.isatty(0) and os.isatty(1)
    except OSError:
        return False


def main(argv: list[str] | None = None) -> None:
    """Entry point: the one place where errors become messages and exit codes."""
    sys.exit(run(argv))


def run(argv: list[str] | None = None) -> int:
    try:
        result = app(args=argv, prog_name="ftadvisor", standalone_mode=False)
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
        print(
            f"ftadvisor: {exc.message}" if "\n" not in exc.message else exc.message, file=sys.stderr
        )
        return exc.exit_code
    except BrokenPipeError:
        # The reader went away (`ftadvisor … | head`): not an error of ours or theirs.
        sys.stderr.close()
        return ExitCode.OK
    except Exception as exc:
        print(
            f"ftadvisor: internal error (a bug in ftadvisor, please report it): "
            f"{type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        if os.environ.get("FTADVISOR_DEBUG"):
            traceback.print_exc()
        return ExitCode.INTERNAL_ERROR


def _interrupted() -> int:
    print("ftadvisor: interrupted", file=sys.stderr)
    return ExitCode.INTERRUPTED
