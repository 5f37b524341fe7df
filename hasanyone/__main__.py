"""`python -m hasanyone`: the `hasanyone` command, where the script is not on PATH."""

from adapters.cli import main

main()
