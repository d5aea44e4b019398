"""Lane colours: stable per subscriber (the same name gets the same colour in every run and
session) and readable on the white background (each passes 3:1 contrast, WCAG's bar for graphics;
Okabe–Ito's yellow and sky blue did not)."""

from __future__ import annotations

import zlib

# Okabe–Ito hues, darkened where needed to pass 3:1 on white; distinguishable with the common
# colour-vision deficiencies.
LANE_COLOURS = ["#0072B2", "#009E73", "#B5468A", "#D55E00", "#00838F", "#8C6D00", "#6A4C93",
                "#A0522D"]  # fmt: skip
FACTOR_COLOUR = "#C0392B"
# The common event tables get colours of their own (no two alike among those seen together);
# any other name a colour from its hash, the same in every run and session.
KNOWN = {
    "process_events": 0, "socket_events": 3, "file_events": 1, "es_process_events": 2,
    "es_process_file_events": 4, "bpf_process_events": 6, "bpf_socket_events": 7,
    "hardware_events": 5, "user_events": 4, "selinux_events": 5, "yara_events": 7,
    "process_file_events": 4, "windows_events": 2, "powershell_events": 6,
    "ntfs_journal_events": 5, "disk_events": 7,
}  # fmt: skip


def lane_colour(name: str | None) -> str:
    """The colour of a lane counting ``name`` (a subscriber or a query)."""
    known = KNOWN.get(name or "")
    if known is not None:
        return LANE_COLOURS[known]
    return LANE_COLOURS[zlib.crc32((name or "").encode()) % len(LANE_COLOURS)]


def contrast(colour: str, background: str = "#ffffff") -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours."""

    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    a, b = sorted((luminance(colour), luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)
