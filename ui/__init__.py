"""The desktop app (PySide6 + pyqtgraph): everything Qt lives here."""
