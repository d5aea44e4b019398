"""The run at a glance: hosts and their platforms, time span, counts, markers."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from inspector.overview import Overview
from inspector.workspace import Workspace


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


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

    def show_run(self, ws: Workspace, ov: Overview) -> None:
        e = html.escape
        loaded = ws.loaded_sources
        parts = [
            f"<h2>{len(loaded)} of {len(ws.sources)} files loaded</h2>",
            f"<p><b>{ws.records.num_rows:,}</b> records · <b>{ws.status.num_rows:,}</b> status lines · "
            f"<b>{ws.queries.num_rows:,}</b> configured queries · "
            f"<b>{ws.bad_lines.num_rows:,}</b> rejected line{'' if ws.bad_lines.num_rows == 1 else 's'}<br>"
            f"Time span: {_when(ov.first)} → {_when(ov.last)}</p>",
            "<h3>Hosts</h3><table cellspacing=6>",
        ]
        for h in ws.hosts.to_pylist():
            parts.append(
                f"<tr><td><b>{e(h['host'])}</b></td><td>{e(h['platform'] or 'platform unknown')}</td>"
                f"<td><small>{e(h['evidence'])}</small></td></tr>"
            )
        parts.append("</table><h3>Queries</h3><table cellspacing=6>")
        parts.append(
            "<tr><th align=right>rows</th><th align=left>query</th>"
            "<th align=left>subscriber ← publisher</th></tr>"
        )
        for q in ov.per_query[:60]:
            pipe = f"{e(q['subscriber'])} ← {e(q['publisher'] or '?')}" if q["subscriber"] else "—"
            parts.append(
                f"<tr><td align=right>{q['rows']:,}</td><td>{e(q['query'])}</td><td>{pipe}</td></tr>"
            )
        parts.append("</table><h3>Status-log markers</h3><table cellspacing=6>")
        for m in ov.markers:
            parts.append(
                f"<tr><td>{e(m['marker'])}</td><td align=right>{m['count']:,}</td>"
                f"<td>{_when(m['first'])} → {_when(m['last'])}</td></tr>"
            )
        parts.append("</table>")
        self.label.setText("".join(parts))
