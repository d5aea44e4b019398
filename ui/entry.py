"""The ``osquery-inspector`` console script.

Headless subcommands (``scan`` ...) go to ``inspector.cli`` without loading Qt; everything else
starts the desktop app.
"""

from __future__ import annotations

import importlib.util
import os
import sys


def _is_command(first: str) -> bool:
    """Whether the first argument names a subcommand: it is not an option, and it is not an
    existing path unless a module of the command line bears its name (a command wins over a
    folder of that name). Importing the command line to ask would cost the window ~0.8 s
    (pyarrow, DuckDB, the readers); a word that is no command goes to it too, which says so."""
    if first.startswith("-"):
        return False
    if not os.path.exists(first):
        return True
    return first.isidentifier() and importlib.util.find_spec(f"inspector.cli.{first}") is not None


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and _is_command(args[0]):
        from inspector.cli.main import main as cli_main

        return cli_main(args)
    from ui.app import run_app

    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())
