"""The desktop app (PySide6 + pyqtgraph): everything Qt lives here."""

from inspector.deferred_pandas import defer_pandas

# The window hands pyarrow no pandas object: pandas (0.3 s of the start) loads only if used.
defer_pandas()
