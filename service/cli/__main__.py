"""``python -m service.cli ...`` runs the ``coachscore`` command line."""

from service.cli.main import main

main()
