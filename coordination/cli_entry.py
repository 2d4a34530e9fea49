"""`python -m coordination.cli_entry …` runs the `coordination` command (used where the
console script is not on PATH, e.g. tests)."""

from coordination.cli import main

if __name__ == "__main__":
    main()
