"""The `pvmbench` command. User mistakes print one line and exit 2; --debug shows tracebacks."""

from __future__ import annotations

import pathlib
import sys

import typer

from pvmbench.errors import UserError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None, help="pvmbench: visuomotor agents under distribution shift.")
shifts_app = typer.Typer(no_args_is_help=True, help="Shift suites and galleries.")
app.add_typer(shifts_app, name="shifts")

_DEBUG = {"on": False}


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors.")) -> None:
    _DEBUG["on"] = debug


@shifts_app.command("gallery")
def gallery(
    env: str = typer.Option("pvmbench/TableTopPick-v0", help="Gymnasium id of a pvmbench env."),
    seeds: int = typer.Option(4, help="Columns: reset seeds 0..N-1."),
    out: pathlib.Path = typer.Option(pathlib.Path("gallery.png"), help="PNG file to write."),
    levels: str = typer.Option("id,easy,hard", help="Rows: comma-separated levels or severity=<0..1>."),
    image_size: int = typer.Option(224, help="Frame size in pixels."),
    camera: str = typer.Option(None, help="Camera, for envs that have several (table-top: wrist, front)."),
) -> None:
    """Write a grid of first frames: a row per level, a column per seed."""
    from pvmbench.shifts.gallery import write_gallery

    kwargs = {"camera": camera} if camera else {}
    shifts = [s.strip() for s in levels.split(",") if s.strip()]
    path = write_gallery(env, out, seeds, shifts, image_size, **kwargs)
    typer.echo(f"wrote {path} ({len(shifts)} rows x {seeds} seeds)")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        app(args=args, prog_name="pvmbench", standalone_mode=False)
    except UserError as exc:
        if debug:
            raise
        print(f"pvmbench: error: {exc}", file=sys.stderr)
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except typer.TyperException as exc:  # usage errors: unknown option, bad type, missing value
        if debug:
            raise
        if type(exc).__name__ == "NoArgsIsHelpError":  # a bare group name: its help is the answer
            print(exc.format_message())
            return 0
        print(f"pvmbench: error: {exc.format_message()} (see --help)", file=sys.stderr)
        return 2
    except typer.Abort:
        print("pvmbench: aborted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())
