"""The timeline panel: toolbar, the lane tree with its filter, the lanes, and the cursor line.

The lane tree drives the plot: unchecking or filtering hides lanes, clicking one scrolls to it.
Times are shown in the window's display zone (``DisplayZone``)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.analysis.binning import RateSource
from inspector.model.runs import lane_host
from inspector.views.timeline_frames import Frame, nice_width, width_label
from ui.display_zone import DisplayZone
from ui.timeline.plots import LanePlot
from ui.timeline.rebin import Rebinner
from ui.timeline.view import TimelineView

KEY_ROLE = Qt.ItemDataRole.UserRole


class TimelinePanel(QWidget):
    """Event rates per lane over time; Shift+drag selects a range, the wheel zooms."""

    brushed = Signal(object, object)  # lo, hi (datetime UTC) or None, None

    def __init__(self, zone: DisplayZone | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.zone = zone or DisplayZone(self)
        self.view = TimelineView(self)
        self.view.decorate = self._decorate_lane
        self.view.set_zone(self.zone.name)
        self.zone.changed.connect(self._on_zone)
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
        self.bursts: list[dict] = []
        self.filtered: set[tuple] = set()  # lanes the tree's filter hides
        self._doubled: set[tuple] = set()  # lanes whose factor lanes were shown at first

        self.bucket_label = QLabel("", self)
        self.legend = QLabel("", self)
        self.legend.setVisible(False)
        self.legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        reset = QPushButton("Reset zoom", self)
        reset.clicked.connect(self.reset_zoom)
        self.clear_selection = QPushButton("Clear selection", self)
        self.clear_selection.setEnabled(False)
        self.clear_selection.clicked.connect(self.view.clear_brush)
        hint = QLabel(
            "Wheel or +/−: zoom · drag or ←/→: pan · Shift+drag: select a time range", self
        )
        hint.setStyleSheet("color: #666;")
        # Labels never widen the window: they give way (and elide) instead.
        hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        hint.setToolTip(hint.text())
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Bucket:", self))
        bar.addWidget(self.bucket_label)
        bar.addSpacing(12)
        bar.addWidget(reset)
        bar.addWidget(self.clear_selection)
        bar.addWidget(self.legend, 2)
        bar.addWidget(hint, 1)

        self.lane_filter = QLineEdit(self)
        self.lane_filter.setPlaceholderText("Filter lanes…")
        self.lane_filter.setClearButtonEnabled(True)
        self.lane_filter.textChanged.connect(self._apply_lane_filter)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Lanes"])
        self.tree.itemChanged.connect(self._on_item_changed)
        self.tree.itemClicked.connect(self._on_item_clicked)
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
        # The readout names every lane's value: it is cut at the panel's width, never widens it.
        self.cursor_line.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.cursor_line.setMinimumWidth(1)
        self.view.cursor_text.connect(self.cursor_line.setText)
        self.view.range_changed.connect(self._on_range)
        self.view.brushed.connect(self._on_brushed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        self.setMinimumHeight(220)  # the ruler and two lanes at least
        layout.addWidget(self.cursor_line)

    # -- a run ----------------------------------------------------------------------------------
    def show_run(
        self,
        binner: RateSource,
        factors: pa.Table,
        frame: Frame,
        markers: list[dict],
        findings: pa.Table,
        gradual: bool = False,
        subscriptions: pa.Table | None = None,
        doubled: set[tuple] | None = None,
    ) -> None:
        """Lanes of a newly loaded run, its markers and its duplicate bursts (from ``findings``);
        ``gradual``: lanes built a batch per event-loop turn (the window stays responsive).
        ``doubled``: the lanes whose factor lanes are shown, while the findings are still to come
        (``show_findings``; by default, the lanes of the findings' bursts)."""
        bursts = _bursts_of(findings)
        self.frame = frame
        self.markers = sorted(markers, key=lambda m: m["t"])
        self.bursts = bursts
        self.rebinner.set_source(binner, factors, subscriptions)
        span = binner.span_us()
        self.span = (span[0] / 1e6, span[1] / 1e6 + frame.width_us / 1e6) if span else None
        self.view.span = self.span
        if doubled is None:
            doubled = {b_key(b) for b in bursts}
        self._doubled = set(doubled)
        if self.span is not None:
            self.view.zoom_to(*self.span)
        self.view.set_frame(frame, factor_default=doubled, gradual=gradual)
        self._fill_tree()
        self.bucket_label.setText(width_label(frame.width_us))
        self.reset_zoom()

    def show_findings(self, findings: pa.Table) -> None:
        """The findings of the run shown (drawn before they were in): its lanes' bursts, and the
        factor lanes of the doubled lanes shown — as ``show_run`` with them would have."""
        self.bursts = _bursts_of(findings)
        doubled = {b_key(b) for b in self.bursts}
        if doubled != self._doubled:  # the bursts said otherwise than the findings: rare
            factor = {(*key, "factor") for key in doubled}
            before = {(*key, "factor") for key in self._doubled}
            hidden = (self.view.hidden | (before - factor)) - factor
            self._doubled = doubled
            self.view.set_hidden(hidden & set(self.view.order))
            self._fill_tree()
        for key, plot in self.view.plots.items():
            self._decorate_lane(key, plot)

    def refresh(
        self, binner: RateSource, factors: pa.Table, markers: list[dict], findings: pa.Table
    ) -> None:
        """New data of a followed run: the same view, its lanes re-binned and re-decorated
        (lanes that appeared are added when their frame arrives)."""
        self.bursts = _bursts_of(findings)
        self.markers = sorted(markers, key=lambda m: m["t"])
        self.rebinner.set_source(binner, factors)
        span = binner.span_us()
        width = self.frame.width_us if self.frame is not None else 60_000_000
        self.span = (span[0] / 1e6, span[1] / 1e6 + width / 1e6) if span else None
        self.view.span = self.span
        view = self.view.current_range()
        if self.frame is not None and view is not None:
            lo, hi = view
            margin = hi - lo
            self.rebinner.request(width, int((lo - margin) * 1e6), int((hi + margin) * 1e6))
        for key, plot in self.view.plots.items():
            self._decorate_lane(key, plot)

    def _decorate_lane(self, key: tuple, plot: LanePlot) -> None:
        """A lane's markers (its host's, and those of no host) and duplicate bursts."""
        host, _, subscriber, _, stream = key[:5]
        text = self.zone.text
        markers = [
            (m["t"], m["kind"], f"{m['kind']} at {text(m['t'], '%H:%M:%S')}\n{m['message']}")
            for m in self.markers
            if m["host"] is None or m["host"] == host
        ]
        bursts = [
            (b["start"].timestamp(), b["end"].timestamp(),
             f"duplicate burst ×{b['duplicate_factor']:.2f}, {b['extra_rows']:,} extra rows"
             + (f"\nafter {b['marker']} at {text(b['config_change_at'], '%H:%M:%S')}"
                if b["marker"] else ""))
            for b in self.bursts
            if (b["host"], b["subscriber"], b["stream"]) == (host, subscriber, stream)
        ]  # fmt: skip
        plot.set_decorations(markers, bursts)

    def _on_zone(self, name: str) -> None:
        self.view.set_zone(name)
        for key, plot in self.view.plots.items():
            self._decorate_lane(key, plot)

    def caption(self) -> str:
        """What an exported picture shows: hosts, time range, zone, bucket."""
        hosts = sorted({k[0] or "(no host)" for k in self.view.visible_keys()})
        view = self.view.current_range()
        shown = ", ".join(hosts[:4]) + (f" and {len(hosts) - 4} more" if len(hosts) > 4 else "")
        when = f"{self.zone.text(view[0])} – {self.zone.text(view[1])}" if view else "no range"
        bucket = width_label(self.frame.width_us) if self.frame is not None else "?"
        return f"{shown} · {when} · times in {self.zone.label} · bucket {bucket}"

    def centre_on(self, t: float) -> None:
        """Centre the view on ``t`` (seconds), keeping the zoom."""
        view = self.view.current_range()
        if view is not None:
            half = (view[1] - view[0]) / 2
            self.view.zoom_to(t - half, t + half)

    def focus_lane(self, key: tuple) -> None:
        """Scroll a lane into view and highlight it (shown first if hidden)."""
        if key not in self.view.order:
            return
        if key in self.view.hidden:
            self.view.set_hidden(self.view.hidden - {key})
            self._fill_tree()
        self.view.highlight(key)
        self.view.scroll_to_lane(key)

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
            hidden = key in self.view.hidden and key not in self.filtered
            item.setCheckState(0, Qt.CheckState.Unchecked if hidden else Qt.CheckState.Checked)
        self.tree.blockSignals(False)
        if self.lane_filter.text().strip():
            self._apply_lane_filter(self.lane_filter.text())

    def _on_item_changed(self, _item, _column) -> None:
        self._apply_hidden()

    def _apply_hidden(self) -> None:
        """Lanes unchecked or filtered out of the tree are hidden in the plot."""
        unchecked, filtered = set(), set()
        for top in _top_items(self.tree):
            for child in _children(top):
                if child.checkState(0) != Qt.CheckState.Checked:
                    unchecked.add(child.data(0, KEY_ROLE))
                if child.isHidden():
                    filtered.add(child.data(0, KEY_ROLE))
        self.filtered = filtered
        self.view.set_hidden(unchecked | filtered)

    def _on_item_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        key = item.data(0, KEY_ROLE)
        if key is not None and self.view.scroll_to_lane(key):
            self.view.highlight(key)

    def _apply_lane_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for top in _top_items(self.tree):
            shown = 0
            for child in _children(top):
                match = (
                    not needle or needle in child.text(0).lower() or needle in top.text(0).lower()
                )
                child.setHidden(not match)
                shown += match
            top.setHidden(shown == 0)
        self._apply_hidden()

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
            self.view.set_frame(frame, factor_default={b_key(b) for b in self.bursts})
            self._fill_tree()
            if view is not None:
                self.view.zoom_to(*view)
        self.view.update_frame(frame)
        self.bucket_label.setText(width_label(frame.width_us))
        self._request_overlay(frame.width_us, frame.lo_us, frame.hi_us)

    # -- the compared run --------------------------------------------------------------------------
    def set_overlay(
        self, binner: RateSource | None, factors: pa.Table | None, offset_s: float, by_host: bool,
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
            self.cursor_line.setText(
                f"{found['kind']} at {self.zone.text(found['t'])}: {found['message']}"
            )
        return found


def _bursts_of(findings: pa.Table) -> list[dict]:
    """The duplicate bursts among ``findings``, each with its lane's stream."""
    return [
        # The lane host: a burst of one run of a host given in several is on that run's lanes.
        dict(
            f,
            stream="database" if f["source"] == "osquery_db" else "results",
            host=lane_host(f["host"], f.get("run")),
        )
        for f in findings.to_pylist()
        if f["kind"] == "duplicate_burst"
    ]


def doubled_lanes(bursts: pa.Table) -> set[tuple]:
    """The lanes of ``duplicate_bursts`` rows (``b_key`` of the findings made from them)."""
    return {
        (lane_host(b["host"], b.get("run")), b["publisher"], b["subscriber"], None, b["stream"])
        for b in bursts.select(["host", "run", "publisher", "subscriber", "stream"]).to_pylist()
    }


def b_key(b: dict) -> tuple:
    """The factor lane's key of a burst."""
    return (b["host"], b["publisher"], b["subscriber"], None, b["stream"])


def _top_items(tree: QTreeWidget) -> list[QTreeWidgetItem]:
    """The tree's top-level items (Qt types each as optional: None only for an index past the end)."""
    items = (tree.topLevelItem(i) for i in range(tree.topLevelItemCount()))
    return [item for item in items if item is not None]


def _children(item: QTreeWidgetItem) -> list[QTreeWidgetItem]:
    """The item's child items."""
    children = (item.child(j) for j in range(item.childCount()))
    return [child for child in children if child is not None]
