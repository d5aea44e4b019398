"""osquery Event Inspector: the Qt-free core.

Everything here reads what an osquery agent leaves on disk into Arrow tables and analyses them.
It never imports PySide6, pyqtgraph or the ``ui`` package (a test enforces this).
"""

__version__ = "0.1.0"
