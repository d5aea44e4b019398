"""The ``osquery-inspector`` console script.

Headless subcommands (``scan`` ...) go to ``inspector.cli`` without loading Qt; everything else
starts the desktop app. A first argument that is neither a command, an option nor an existing
path is a mistake (a mistyped ``scan``?), not a file for the window to complain about later.
"""

from __future__ import annotations

import difflib
import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    from inspector.cli.main import SUBCOMMANDS

    if args and args[0] in SUBCOMMANDS:
        from inspector.cli.main import main as cli_main

        return cli_main(args)
    if args and not args[0].startswith("-") and not os.path.lexists(args[0]):
        print(not_a_command(args[0], SUBCOMMANDS), file=sys.stderr)
        return 2
    from inspector.logs import configure_logging
    from ui.app import run_app

    configure_logging("app")
    return run_app(args)


def not_a_command(word: str, commands: tuple[str, ...]) -> str:
    """The message for a first argument that is neither a command nor an existing path."""
    text = (
        f"osquery-inspector: {word!r} is neither a command ({', '.join(commands)}) "
        "nor an existing file or folder"
    )
    close = difflib.get_close_matches(word, commands, n=1, cutoff=0.6)
    if close:
        text += f"; did you mean '{close[0]}'?"
    return (
        text + "\nRun 'osquery-inspector --help' (the window) or 'osquery-inspector scan --help'."
    )


if __name__ == "__main__":
    sys.exit(main())
