"""Entry point of the frozen app: the same as the ``osquery-inspector`` console script."""

import sys

from ui.entry import main

if __name__ == "__main__":
    sys.exit(main())
