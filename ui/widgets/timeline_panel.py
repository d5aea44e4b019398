"""The timeline panel: toolbar, the lane tree with its filter, the lanes, and the cursor line."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.analysis.binning import Binner
from inspector.timezones import machine_timezone
from inspector.views.timeline_frames import Frame, nice_width, width_label
from ui.timeline.rebin import Rebinner
from ui.timeline.view import TimelineView

KEY_ROLE = Qt.ItemDataRole.UserRole


def _bursts_of(findings: pa.Table) -> list[dict]:
    return [
        dict(f, stream="database" if f["source"] == "osquery_db" else "results")
        for f in findings.to_pylist()
        if f["kind"] == "duplicate_burst"
    ]


def b_key(b: dict) -> tuple:
    """The lane key of a burst."""
    return (b["host"], b["publisher"], b["subscriber"], None, b["stream"])


class TimelinePanel(QWidget):
    """Event rates per lane over time; Shift+drag selects a range, the wheel zooms."""

    brushed = Signal(object, object)  # lo, hi (datetime UTC) or None, None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = TimelineView(self)
        self.rebinner = Rebinner(self)
        self.rebinner.frame_ready.connect(self._on_frame)
        # The compared run (after): its own re-binner, lanes shifted by the alignment offset.
        self.overlay_rebinner = Rebinner(self)
        self.overlay_rebinner.frame_ready.connect(self._on_overlay_frame)
        self.overlay_offset = 0.0
        self.overlay_by_host = False
        self.frame: Frame | None = None
        self.span: tuple[float, float] | None = None
        self.markers: list[dict] = []
        self._bursts: list[dict] = []

        self.bucket_label = QLabel("", self)
        self.legend = QLabel("", self)
        self.legend.setVisible(False)
        self.zone = QComboBox(self)
        self.zone.addItem("UTC", "UTC")
        local = machine_timezone()
        if local and local != "UTC":
            self.zone.addItem(f"Local ({local})", local)
        self.zone.currentIndexChanged.connect(
            lambda _i: self.view.set_zone(self.zone.currentData())
        )
        reset = QPushButton("Reset zoom", self)
        reset.clicked.connect(self.reset_zoom)
        self.clear_selection = QPushButton("Clear selection", self)
        self.clear_selection.setEnabled(False)
        self.clear_selection.clicked.connect(self.view.clear_brush)
        hint = QLabel("Wheel: zoom · drag: pan · Shift+drag: select a time range", self)
        hint.setStyleSheet("color: #666;")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Bucket:", self))
        bar.addWidget(self.bucket_label)
        bar.addSpacing(12)
        bar.addWidget(QLabel("Times in:", self))
        bar.addWidget(self.zone)
        bar.addWidget(reset)
        bar.addWidget(self.clear_selection)
        bar.addWidget(self.legend)
        bar.addStretch(1)
        bar.addWidget(hint)

        self.lane_filter = QLineEdit(self)
        self.lane_filter.setPlaceholderText("Filter lanes…")
        self.lane_filter.setClearButtonEnabled(True)
        self.lane_filter.textChanged.connect(self._apply_lane_filter)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Lanes"])
        self.tree.itemChanged.connect(self._on_item_changed)
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.lane_filter)
        left_layout.addWidget(self.tree)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(left)
        split.addWidget(self.view)
        split.setStretchFactor(1, 1)
        split.setSizes([290, 1300])
        self.cursor_line = QLabel("", self)
        self.cursor_line.setStyleSheet("color: #444;")
        self.view.cursor_text.connect(self.cursor_line.setText)
        self.view.range_changed.connect(self._on_range)
        self.view.brushed.connect(self._on_brushed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        layout.addWidget(self.cursor_line)

    # -- a run ----------------------------------------------------------------------------------
    def show_run(
        self,
        binner: Binner,
        factors: pa.Table,
        frame: Frame,
        markers: list[dict],
        findings: pa.Table,
    ) -> None:
        """Lanes of a newly loaded run, its markers and its duplicate bursts (from ``findings``)."""
        bursts = self._bursts = _bursts_of(findings)
        self.frame = frame
        self.markers = sorted(markers, key=lambda m: m["t"])
        self.rebinner.set_source(binner, factors)
        span = binner.span_us()
        self.span = (span[0] / 1e6, span[1] / 1e6 + frame.width_us / 1e6) if span else None
        doubled = {b_key(b) for b in bursts}
        self.view.set_frame(frame, factor_default=doubled)
        self._decorate(bursts)
        self._fill_tree()
        self.bucket_label.setText(width_label(frame.width_us))
        self.reset_zoom()

    def refresh(
        self, binner: Binner, factors: pa.Table, markers: list[dict], findings: pa.Table
    ) -> None:
        """New data of a followed run: the same view, its lanes re-binned and re-decorated
        (lanes that appeared are added when their frame arrives)."""
        self._bursts = _bursts_of(findings)
        self.markers = sorted(markers, key=lambda m: m["t"])
        self.rebinner.set_source(binner, factors)
        span = binner.span_us()
        width = self.frame.width_us if self.frame is not None else 60_000_000
        self.span = (span[0] / 1e6, span[1] / 1e6 + width / 1e6) if span else None
        view = self.view.current_range()
        if self.frame is not None and view is not None:
            lo, hi = view
            margin = hi - lo
            self.rebinner.request(width, int((lo - margin) * 1e6), int((hi + margin) * 1e6))
        self._decorate(self._bursts)

    def _decorate(self, rows: list[dict]) -> None:
        for key, plot in self.view.plots.items():
            plot.clear_decorations()
            host, _, subscriber, _, stream = key[:5]
            for m in self.markers:
                if m["host"] is None or m["host"] == host:
                    when = dt.datetime.fromtimestamp(m["t"], dt.UTC)
                    plot.add_marker(
                        m["t"], m["kind"], f"{m['kind']} at {when:%H:%M:%S} UTC\n{m['message']}"
                    )
            for b in rows:
                if (b["host"], b["subscriber"], b["stream"]) == (host, subscriber, stream):
                    plot.add_burst(
                        b["start"].timestamp(), b["end"].timestamp(),
                        f"duplicate burst ×{b['duplicate_factor']:.2f}, {b['extra_rows']:,} extra rows"
                        + (f"\nafter {b['marker']} at {b['config_change_at']:%H:%M:%S} UTC"
                           if b["marker"] else ""),
                    )  # fmt: skip

    def _fill_tree(self) -> None:
        self.tree.blockSignals(True)
        self.tree.clear()
        hosts: dict[str, QTreeWidgetItem] = {}
        for key in self.view.order:
            host = key[0] or "(no host)"
            parent = hosts.get(host)
            if parent is None:
                parent = QTreeWidgetItem(self.tree, [host])
                parent.setFlags(
                    parent.flags()
                    | Qt.ItemFlag.ItemIsAutoTristate
                    | Qt.ItemFlag.ItemIsUserCheckable
                )
                parent.setExpanded(True)
                hosts[host] = parent
            item = QTreeWidgetItem(parent, [self.view.labels[key]])
            item.setToolTip(0, self.view.labels[key])
            item.setData(0, KEY_ROLE, key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            hidden = key in self.view.hidden
            item.setCheckState(0, Qt.CheckState.Unchecked if hidden else Qt.CheckState.Checked)
        self.tree.blockSignals(False)

    def _on_item_changed(self, _item, _column) -> None:
        hidden = set()
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            for j in range(top.childCount()):
                child = top.child(j)
                if child.checkState(0) != Qt.CheckState.Checked:
                    hidden.add(child.data(0, KEY_ROLE))
        self.view.set_hidden(hidden)

    def _apply_lane_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            shown = 0
            for j in range(top.childCount()):
                child = top.child(j)
                match = (
                    not needle or needle in child.text(0).lower() or needle in top.text(0).lower()
                )
                child.setHidden(not match)
                shown += match
            top.setHidden(shown == 0)

    # -- zoom and re-binning --------------------------------------------------------------------
    def reset_zoom(self) -> None:
        if self.span is not None:
            self.view.zoom_to(*self.span)

    def zoom_to(self, lo: dt.datetime, hi: dt.datetime, pad: float = 0.25) -> None:
        """Show [lo, hi] with some context on either side."""
        a, b = lo.timestamp(), hi.timestamp()
        margin = max((b - a) * pad, 60.0)
        self.view.zoom_to(a - margin, b + margin)

    def _on_range(self, lo: float, hi: float, pixels: int) -> None:
        width = nice_width((hi - lo) * 1e6, max(100, pixels // 3))
        frame = self.frame
        if frame is None:
            return
        covered = (frame.lo_us is None or frame.lo_us <= lo * 1e6) and (
            frame.hi_us is None or frame.hi_us >= hi * 1e6
        )
        if width == frame.width_us and covered:
            return
        span = hi - lo
        whole = self.span is not None and lo <= self.span[0] and hi >= self.span[1]
        lo_us = None if whole else int((lo - span) * 1e6)
        hi_us = None if whole else int((hi + span) * 1e6)
        self.bucket_label.setText(f"{width_label(width)} …")
        self.rebinner.request(width, lo_us, hi_us)

    def _on_frame(self, frame: Frame) -> None:
        self.frame = frame
        if {lane.key for lane in frame.lanes} - set(self.view.plots):
            # A followed run gained a lane: lanes again, the view kept.
            view = self.view.current_range()
            self.view.set_frame(frame, factor_default={b_key(b) for b in self._bursts})
            self._decorate(self._bursts)
            self._fill_tree()
            if view is not None:
                self.view.zoom_to(*view)
        self.view.update_frame(frame)
        self.bucket_label.setText(width_label(frame.width_us))
        self._request_overlay(frame.width_us, frame.lo_us, frame.hi_us)

    # -- the compared run --------------------------------------------------------------------------
    def set_overlay(
        self, binner: Binner | None, factors: pa.Table | None, offset_s: float, by_host: bool,
        label: str = "",
    ) -> None:  # fmt: skip
        """Draw the compared run's lanes (dashed) shifted by ``offset_s``; None clears them."""
        self.overlay_offset, self.overlay_by_host = offset_s, by_host
        if binner is None:
            self.overlay_rebinner.clear()
            self.view.set_overlay(None, 0.0, by_host)
            self.legend.setVisible(False)
            return
        self.overlay_rebinner.set_source(binner, factors)
        shift = f"{'+' if offset_s >= 0 else '−'}{abs(offset_s) / 3600:.2f} h"
        self.legend.setText(f"━ this run   ┅ {label} (shifted {shift} to align)")
        self.legend.setVisible(True)
        if self.frame is not None:
            self._request_overlay(self.frame.width_us, self.frame.lo_us, self.frame.hi_us)

    def _request_overlay(self, width_us: int, lo_us: int | None, hi_us: int | None) -> None:
        if self.overlay_rebinner.binner is None:
            return
        shift = int(self.overlay_offset * 1e6)
        self.overlay_rebinner.request(
            width_us,
            None if lo_us is None else lo_us - shift,
            None if hi_us is None else hi_us - shift,
        )

    def _on_overlay_frame(self, frame: Frame) -> None:
        self.view.set_overlay(frame, self.overlay_offset, self.overlay_by_host)

    # -- selection ------------------------------------------------------------------------------
    def _on_brushed(self, lo, hi) -> None:
        self.clear_selection.setEnabled(lo is not None)
        if lo is None:
            self.brushed.emit(None, None)
        else:
            self.brushed.emit(
                dt.datetime.fromtimestamp(lo, dt.UTC), dt.datetime.fromtimestamp(hi, dt.UTC)
            )

    def step_marker(self, direction: int) -> dict | None:
        """Centre the view on the next (+1) or previous (-1) marker; return it."""
        view = self.view.current_range()
        if view is None or not self.markers:
            return None
        centre, half = (view[0] + view[1]) / 2, (view[1] - view[0]) / 2
        if direction > 0:
            found = next((m for m in self.markers if m["t"] > centre + 1e-3), None)
        else:
            found = next((m for m in reversed(self.markers) if m["t"] < centre - 1e-3), None)
        if found is not None:
            self.view.zoom_to(found["t"] - half, found["t"] + half)
            when = dt.datetime.fromtimestamp(found["t"], dt.UTC)
            self.cursor_line.setText(
                f"{found['kind']} at {when:%Y-%m-%d %H:%M:%S} UTC: {found['message']}"
            )
        return found
