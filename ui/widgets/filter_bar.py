"""The records tab's filter bar: value choices, free text, a SQL WHERE clause with its inline
error, and the time-range chip. It only says which filter the user means (``RecordFilter``);
applying it is the records panel's business.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QLineEdit, QToolButton, QWidget

from inspector.views.record_filter import RecordFilter

ALL, NULL = "\x00all", "\x00null"  # combo item data: no restriction / rows where it is null
COMBOS = (("host", "hosts"), ("subscriber", "subscribers"), ("query", "queries"),
          ("action", "actions"), ("run", "runs"))  # fmt: skip
# What a null value is called in a combo: a run is null for the rows of a host given in one run.
NULL_LABELS = {"run": "(host in one run)"}
STREAM_NAMES = {"results_log": "results log", "osquery_db": "osquery.db"}


class FilterBar(QWidget):
    """Value choices, free text, a SQL clause and the time-range chip; ``changed`` fires when the
    filter the user means changes (typing is debounced)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.time_range: tuple[dt.datetime, dt.datetime] | None = None
        self.stream: str | None = None
        self.combos: dict[str, QComboBox] = {}
        for name, _ in COMBOS:
            combo = QComboBox(self)
            # As wide as the longest "value  (count)" entry, within reason.
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.setMinimumWidth(140)
            combo.setMaximumWidth(340)
            combo.setToolTip(
                "Only records of this run (an input given to the load) of a host given in several"
                if name == "run"
                else f"Only records of this {name}"
            )
            combo.currentIndexChanged.connect(self._emit)
            self.combos[name] = combo
        self.text = QLineEdit(self)
        self.text.setPlaceholderText("Search host, query, subscriber, eid and columns…")
        self.sql = QLineEdit(self)
        self.sql.setPlaceholderText(
            "SQL WHERE, e.g. json_extract_string(columns, '$.path') LIKE '/tmp/%' "
            "AND action = 'added'"
        )
        mono = QFont("DejaVu Sans Mono")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.sql.setFont(mono)
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(250)  # one filter run per pause in typing, not per key
        self.debounce.timeout.connect(self.changed)
        for edit in (self.text, self.sql):
            edit.setClearButtonEnabled(True)
            edit.textChanged.connect(self.debounce.start)
            edit.returnPressed.connect(self._flush)
        self.chip = QLabel(self)
        self.chip.setStyleSheet(
            "background: #dbe8f7; color: #12325a; border: 1px solid #9bb8dc; border-radius: 8px;"
            "padding: 1px 8px;"
        )
        self.chip_clear = QToolButton(self)
        self.chip_clear.setText("✕")
        self.chip_clear.setToolTip("Clear the time range")
        self.chip_clear.setAutoRaise(True)
        self.chip_clear.clicked.connect(lambda: self.set_range(None, None))
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        for i, combo in enumerate(self.combos.values()):
            grid.addWidget(combo, 0, i)
        grid.addWidget(self.text, 0, 5, 1, 2)
        grid.addWidget(QLabel("WHERE", self), 1, 0, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self.sql, 1, 1, 1, 4)
        grid.addWidget(self.chip, 1, 5)
        grid.addWidget(self.chip_clear, 1, 6)
        grid.addWidget(self.error, 2, 1, 1, 6)
        grid.setColumnStretch(5, 1)
        self.combos["run"].hide()  # shown when a host of the run is in several (set_values)
        self._quiet = False
        self._all_values: dict[str, list[tuple[str | None, int]]] = {}
        self._queries_by: dict[str | None, list[tuple[str | None, int]]] = {}
        self.combos["subscriber"].currentIndexChanged.connect(self._narrow_queries)
        self._update_chip()

    def set_values(
        self,
        values: dict[str, list[tuple[str | None, int]]],
        queries_by: dict[str | None, list[tuple[str | None, int]]] | None = None,
    ) -> None:
        """Offer each column's values with their counts (``{}``: only "all"); a choice made
        meanwhile is kept. With ``queries_by`` (per subscriber, its queries), the query choice
        offers only the chosen subscriber's queries."""
        self._all_values, self._queries_by = values, queries_by or {}
        with self.quiet():
            for name in self.combos:
                self._offer(name, values.get(name, []))
        self.combos["run"].setVisible(bool(values.get("run")))
        self._narrow_queries()

    def _offer(self, name: str, values: list[tuple[str | None, int]]) -> None:
        combo = self.combos[name]
        chosen = combo.currentData()
        combo.clear()
        combo.addItem(f"all {name}s" if name != "query" else "all queries", ALL)
        for value, count in values:
            label = value if value is not None else NULL_LABELS.get(name, "(none)")
            combo.addItem(f"{label}  ({count:,})", NULL if value is None else value)
        if chosen not in (None, ALL):
            self._choose_data(name, chosen)

    def _narrow_queries(self, *_args) -> None:
        """The query choice: the chosen subscriber's queries (all queries when none is)."""
        if not self._all_values:
            return
        chosen = self.combos["subscriber"].currentData()
        if chosen in (None, ALL) or not self._queries_by:
            values = self._all_values.get("query", [])
        else:
            values = self._queries_by.get(None if chosen == NULL else chosen, [])
        query = self.combos["query"]
        keep = query.currentData()
        with self.quiet():
            self._offer("query", values)
        if keep not in (None, ALL) and query.findData(keep) < 0:
            query.setCurrentIndex(0)

    def set_choice(self, name: str, value: str | None) -> None:
        """Choose ``value`` in the ``name`` combo (None: all); an unknown value is added."""
        self._choose_data(name, ALL if value is None else value)

    def _choose_data(self, name: str, data: str) -> None:
        combo = self.combos[name]
        at = combo.findData(data)
        if at < 0:  # not (yet) among the values offered
            combo.addItem("(none)" if data == NULL else data, data)
            at = combo.count() - 1
        combo.setCurrentIndex(at)

    def set_filter(self, flt: RecordFilter, emit: bool = True) -> list[str]:
        """Show ``flt`` (``changed`` once, if ``emit``). Returns the parts the bar cannot show
        and so leaves out: a value set of several values, explicit rows."""
        left_out = ["rows"] if flt.rows is not None else []
        with self.quiet():
            for name, attr in COMBOS:
                values = getattr(flt, attr)
                if values is not None and len(values) != 1:
                    left_out.append(attr)
                    values = None
                value = None if values is None else next(iter(values))
                self._choose_data(name, ALL if values is None else NULL if value is None else value)
            self.text.setText(flt.text)
            self.sql.setText(flt.sql_where)
            lo, hi = flt.time_range or (None, None)
            lo, hi = (t if t is None or t.tzinfo else t.replace(tzinfo=dt.UTC) for t in (lo, hi))
            self.time_range = (lo, hi) if lo is not None and hi is not None else None
            self.stream = flt.stream
            self._update_chip()
        if emit:
            self.changed.emit()
        return left_out

    def set_range(
        self, lo: dt.datetime | None, hi: dt.datetime | None, stream: str | None = None
    ) -> None:
        """Restrict to [lo, hi) (both or none) and optionally to one source stream."""
        # A time without a zone is taken as UTC, as every time in the records is.
        lo, hi = (t if t is None or t.tzinfo else t.replace(tzinfo=dt.UTC) for t in (lo, hi))
        self.time_range = (lo, hi) if lo is not None and hi is not None else None
        self.stream = stream
        self._update_chip()
        self._emit()

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """Change several choices without a ``changed`` for each."""
        outer = self._quiet  # nested (a subscriber chosen quietly narrows the queries quietly)
        self._quiet = True
        try:
            yield
        finally:
            self._quiet = outer
            if not outer:
                self.debounce.stop()

    def reset(self, emit: bool = True) -> None:
        """No restriction at all (``changed`` once, if ``emit``)."""
        with self.quiet():
            for combo in self.combos.values():
                combo.setCurrentIndex(0)
            for edit in (self.text, self.sql):
                edit.clear()
            self.time_range, self.stream = None, None
            self._update_chip()
        if emit:
            self.changed.emit()

    def filter(self) -> RecordFilter:
        """The filter the bar shows now (including text still being typed)."""
        return RecordFilter(
            hosts=self._chosen("host"), subscribers=self._chosen("subscriber"),
            queries=self._chosen("query"), actions=self._chosen("action"),
            runs=self._chosen("run"), time_range=self.time_range, text=self.text.text().strip(),
            sql_where=self.sql.text().strip(), stream=self.stream,
        )  # fmt: skip

    def _chosen(self, column: str) -> frozenset[str | None] | None:
        """The value chosen for ``column`` (None: every value)."""
        data = self.combos[column].currentData()
        if data in (None, ALL):
            return None
        return frozenset({None if data == NULL else data})

    def show_error(self, message: str | None) -> None:
        """The SQL clause's error in red under the bar; None hides it."""
        self.error.setText(f"⚠ {message}" if message else "")
        self.error.setVisible(bool(message))
        self.sql.setStyleSheet("border: 1px solid #b00020;" if message else "")

    def _update_chip(self) -> None:
        parts = []
        if self.time_range is not None:
            lo, hi = (t.astimezone(dt.UTC) for t in self.time_range)
            end = hi.strftime("%H:%M:%S" if hi.date() == lo.date() else "%Y-%m-%d %H:%M:%S")
            parts.append(f"{lo:%Y-%m-%d %H:%M:%S} – {end} UTC")
        if self.stream is not None:
            parts.append(STREAM_NAMES.get(self.stream, self.stream))
        self.chip.setText("  ·  ".join(parts))
        self.chip.setVisible(bool(parts))
        self.chip_clear.setVisible(bool(parts))

    def _flush(self) -> None:
        self.debounce.stop()
        self.changed.emit()

    def _emit(self) -> None:
        if not self._quiet:
            self.debounce.stop()
            self.changed.emit()
