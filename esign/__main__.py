"""``python -m esign`` runs the CLI."""

from esign.cli.main import main

main()
