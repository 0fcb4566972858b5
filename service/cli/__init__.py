"""The ``coachscore`` command line: main.py builds the Typer app; each command group lives
in its own module here (analyze, transcribe, models, server) and registers itself."""

from service.cli.main import _register, app, main

__all__ = ["_register", "app", "main"]
