"""The ``osquery-inspector`` console script.

Headless subcommands (``scan`` ...) go to ``inspector.cli`` without loading Qt; everything else
starts the desktop app.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    from inspector.cli.main import SUBCOMMANDS

    if args and args[0] in SUBCOMMANDS:
        from inspector.cli.main import main as cli_main

        return cli_main(args)
    from ui.app import run_app

    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())
