"""The ``coachscore`` command line. Each command group lives in its own module
(``service/cli/*.py``) and registers itself here; heavy libraries load inside the commands."""

from __future__ import annotations

import logging

import typer

app = typer.Typer(
    name="coachscore",
    help="Score how a leader coaches in a recorded 1:1, with evidence.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging.")) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _register() -> None:
    from service.cli import analyze, models, server, transcribe

    for module in (transcribe, analyze, models, server):
        module.register(app)


def main() -> None:
    _register()
    app()
