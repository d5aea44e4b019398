"""Findings (duplicate bursts, re-baselines), most extra rows first; selecting one focuses it."""

from __future__ import annotations

import pyarrow as pa
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QMenu, QWidget

from inspector.views.overview import plural
from ui.widgets.table_panel import TablePanel

FINDING_COLUMNS = [
    "kind", "subscriber", "query", "host", "publisher", "source", "start", "end",
    "duplicate_factor", "extra_rows", "marker", "config_change_at", "signature",
    "subscriptions_before", "subscriptions_during", "open_start",
]  # fmt: skip


# How a finding's numbers read (the fleet window's findings too).
FINDING_FORMATTERS = {
    "duplicate_factor": lambda v: f"×{v:.2f}",
    "extra_rows": lambda v: f"{v:,}",
}


class FindingsPanel(TablePanel):
    """The findings table; ``finding_selected`` carries the selected finding as a dict."""

    finding_selected = Signal(object)
    export_requested = Signal()  # the context menu's "Export to Parquet…"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("No findings: no duplicated delivery, no re-baselines", parent)
        self.view.setSelectionMode(self.view.SelectionMode.SingleSelection)
        self.view.selectionModel().selectionChanged.connect(self._on_selection)
        self.model.formatters.update(FINDING_FORMATTERS)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)

    def show_pending(
        self, note: str = "Looking for duplicate bursts once the records are loaded…"
    ) -> None:
        """No findings yet: the records they come from are still loading (or, with ``note``,
        they are being looked for)."""
        self.show_table(
            pa.table({name: pa.array([], pa.string()) for name in FINDING_COLUMNS}),
            FINDING_COLUMNS,
            note,
        )

    def show_findings(self, findings: pa.Table, has_events: bool = True) -> None:
        """Show ``findings`` in impact order (most extra rows first, as ``find`` returns them);
        without ``has_events`` an empty list says there was nothing to look in."""
        bursts = sum(1 for k in findings.column("kind").to_pylist() if k == "duplicate_burst")
        caption = (
            f"{plural(findings.num_rows, 'finding')}: {plural(bursts, 'duplicate burst')}, "
            f"{plural(findings.num_rows - bursts, 're-baseline')} — select one to see it on the "
            "timeline"
            if findings.num_rows
            else ""
            if has_events
            else "No findings: no event records were loaded, so nothing was looked for"
        )
        columns = FINDING_COLUMNS
        if "run" in findings.column_names and findings.column("run").null_count < findings.num_rows:
            # A host given in several runs: which run each finding is about, beside the host.
            at = columns.index("host") + 1
            columns = [*columns[:at], "run", *columns[at:]]
        self.show_table(findings, columns, caption)

    def finding(self, row: int) -> dict:
        table = self.model.table
        return table.slice(self.model.table_row(row), 1).to_pylist()[0]

    def select(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.view.selectRow(row)
            self.view.scrollTo(self.model.index(row, 0))

    def step(self, direction: int) -> None:
        """Select the next (+1) or previous (-1) finding, wrapping around."""
        n = self.model.rowCount()
        if not n:
            return
        rows = self.view.selectionModel().selectedRows()
        current = rows[0].row() if rows else (-1 if direction > 0 else n)
        self.select((current + direction) % n)

    def context_menu(self) -> QMenu:
        """The table's context menu: export the findings."""
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        export = menu.addAction("Export to Parquet…", lambda: self.export_requested.emit())
        export.setEnabled(self.model.rowCount() > 0)
        return menu

    def _context_menu(self, pos) -> None:
        self.context_menu().popup(self.view.viewport().mapToGlobal(pos))

    def _on_selection(self, *_args) -> None:
        rows = self.view.selectionModel().selectedRows()
        if rows:
            self.finding_selected.emit(self.finding(rows[0].row()))
