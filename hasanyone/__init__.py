"""`python -m hasanyone` is the `hasanyone` command; the code lives in bot/, adapters/,
knowledge/ and jobs/ (see CONTRIBUTING.md)."""
