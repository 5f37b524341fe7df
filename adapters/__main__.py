"""`python -m adapters` is the `hasanyone` command (handy where the script is not on PATH)."""

from adapters.cli import main

main()
