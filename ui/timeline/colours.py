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


def lane_colour(name: str | None) -> str:
    """The colour of a lane counting ``name`` (a subscriber or a query)."""
    return LANE_COLOURS[zlib.crc32((name or "").encode()) % len(LANE_COLOURS)]


def contrast(colour: str, background: str = "#ffffff") -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours."""

    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    a, b = sorted((luminance(colour), luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)
