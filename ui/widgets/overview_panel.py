"""The run at a glance: hosts and their platforms, time span, counts, markers."""

from __future__ import annotations

import datetime as dt
import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from inspector.model import Workspace
from inspector.views.overview import Overview, loaded_line, plural, span


class OverviewPanel(QWidget):
    """A read-only rich-text summary of the loaded run."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(self)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setMargin(16)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self.zone: dt.tzinfo = dt.UTC
        self._shown: tuple[Workspace, Overview] | None = None
        self._written = False  # the label shows ``_shown``

    def set_zone(self, zone: dt.tzinfo) -> None:
        """Write times in ``zone`` (the shown run is written again)."""
        self.zone = zone
        if self._shown is not None:
            self.show_run(*self._shown)

    def show_run(self, ws: Workspace, ov: Overview) -> None:
        """Show ``ws``'s summary: written now if the panel is in view, else when it comes into
        view (laying out the long rich text took ~30 ms, at every run and live update, mostly
        for a tab nobody had open)."""
        self._shown = (ws, ov)
        self._written = False
        if self.isVisible():
            self._write()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._shown is not None and not self._written:
            self._write()

    def _write(self) -> None:
        assert self._shown is not None
        ws, ov = self._shown
        self._written = True
        z = self.zone
        e = html.escape
        assumed = ""
        if ov.assumed_year_sources:
            assumed = (
                f" <small>(year assumed for {plural(len(ov.assumed_year_sources), 'file')})</small>"
            )
        parts = [
            f"<h2>{e(loaded_line(ws))}</h2>",
            f"<p><b>{plural(ws.records.num_rows, 'record')}</b> · <b>{plural(ws.status.num_rows, 'status line')}</b> · "
            f"<b>{plural(ws.queries.num_rows, 'configured query', 'configured queries')}</b> · "
            f"<b>{plural(ws.rejected_lines, 'rejected line')}</b><br>"
            f"Records logged: {span(ov.first, ov.last, z)}<br>"
            f"Status lines: {span(ov.status_first, ov.status_last, z)}{assumed}</p>",
        ]
        clocks = ws.status_clocks.to_pylist()
        if clocks:
            parts.append("<h3>Status-log time</h3><table cellspacing=6>")
            for c in clocks:
                flag = " ⚠" if c["basis"] == "assumed" else ""
                parts.append(
                    f"<tr><td><b>{e(c['host'] or '(unknown host)')}</b></td><td>{e(c['zone'])}{flag}</td>"
                    f"<td>{e(c['basis'])}</td><td><small>{e(c['evidence'])}</small></td></tr>"
                )
            parts.append(
                "</table><p><small>Change it with View → Status-Log Time Zone… (the run is placed "
                "and analysed again; nothing is read again).</small></p>"
            )
        parts.append("<h3>Hosts</h3><table cellspacing=6>")
        for h in ws.hosts.to_pylist():
            parts.append(
                f"<tr><td><b>{e(h['host'])}</b></td><td>{e(h['platform'] or 'platform unknown')}</td>"
                f"<td><small>{e(h['evidence'])}</small></td></tr>"
            )
        parts.append("</table><h3>Queries</h3><table cellspacing=6>")
        parts.append(
            "<tr><th align=right>rows</th><th align=left>host</th><th align=left>query</th>"
            "<th align=left>subscriber ← publisher</th></tr>"
        )
        for q in ov.per_query[:100]:
            pipe = f"{e(q['subscriber'])} ← {e(q['publisher'] or '?')}" if q["subscriber"] else "—"
            if q.get("empty_runs"):
                pipe += f" <small>({plural(q['empty_runs'], 'run')} with no row)</small>"
            parts.append(
                f"<tr><td align=right>{q['rows']:,}</td><td>{e(q['host'] or '?')}</td>"
                f"<td>{e(q['query'] or '(osquery.db event buffer)')}</td><td>{pipe}</td></tr>"
            )
        if len(ov.per_query) > 100:
            parts.append(
                f"<tr><td></td><td colspan=3>… {len(ov.per_query) - 100:,} more (Queries tab)</td></tr>"
            )
        parts.append("</table><h3>Status-log markers</h3><table cellspacing=6>")
        for m in ov.markers:
            parts.append(
                f"<tr><td>{e(m['marker'])}</td><td align=right>{m['count']:,}</td>"
                f"<td>{e(m['host'] or '(no host)')}</td><td>{span(m['first'], m['last'], z)}</td></tr>"
            )
        parts.append("</table>")
        self.label.setText("".join(parts))
