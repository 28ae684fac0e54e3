"""The ``jiliang`` command. Sub-commands are discovered from the modules of :mod:`jiliang.cli`."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

from jiliang import __version__
from jiliang.cli.common import fail, guard

__all__ = ["build", "main"]


def build() -> typer.Typer:
    root = typer.Typer(
        name="jiliang",
        help="Jiliang (计量): the city's measurement system — registry, uncertainty, certificates, meters.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @root.callback(invoke_without_command=True)
    def _root(
        version: bool = typer.Option(False, "--version", help="Print the version and exit."),
    ) -> None:
        if version:
            typer.echo(__version__)
            raise typer.Exit()

    import jiliang.cli as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name in {"main", "common"} or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"jiliang.cli.{info.name}")
        sub = getattr(module, "app", None)
        if isinstance(sub, typer.Typer):
            root.add_typer(sub)
        for command in getattr(module, "COMMANDS", ()):
            root.command()(command)
    return root


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI; any error becomes a one-line reason and exit status 2."""
    app = build()
    try:
        result = app(args=argv, standalone_mode=False)
    except typer.Exit as done:
        raise SystemExit(done.exit_code) from None
    except typer.Abort:
        print("aborted", file=sys.stderr)
        raise SystemExit(1) from None
    except typer.TyperException as usage:  # click's usage errors (typer vendors click)
        if type(usage).__name__ == "NoArgsIsHelpError":
            raise SystemExit(0) from None
        fail(usage.format_message(), getattr(usage, "exit_code", 2) or 2)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    except BaseException as exc:
        guard(exc)
    if isinstance(result, int) and result:
        raise SystemExit(result)


if __name__ == "__main__":  # pragma: no cover
    main()
