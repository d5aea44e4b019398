"""What a dataset's finished ingests read, and what they left out: the fleet's side of "every
line accounted for", said again where the dataset is scanned."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from inspector.fleet.manifest_rows import standing
from inspector.fleet.scan import read_small
from inspector.views.overview import plural


@dataclass(frozen=True)
class IngestAccounting:
    """What the dataset's finished ingests read: files, lines, and what they left out."""

    files: int
    lines: int
    rejected_lines: int
    files_with_rejected: int
    files_not_read: int  # skipped (empty, binary, foreign) or failed

    def note(self) -> str | None:
        """A sentence on what was left out (None when nothing was)."""
        if not self.rejected_lines and not self.files_not_read:
            return None
        parts = []
        if self.rejected_lines:
            parts.append(
                f"{plural(self.rejected_lines, 'line')} rejected in "
                f"{plural(self.files_with_rejected, 'file')} (fleet ingest listed each file "
                "and line; the dataset's rejected/ folder keeps them)"
            )
        if self.files_not_read:
            parts.append(
                f"{plural(self.files_not_read, 'file')} not read (fleet ingest said why; the "
                "manifest keeps the reason)"
            )
        return (
            f"of {plural(self.files, 'file')} and {plural(self.lines, 'line')} ingested: "
            + "; ".join(parts)
        )


def ingest_accounting(dataset: str, ingests: list[str] | None = None) -> IngestAccounting:
    """The finished ingests' accounting, from the dataset's manifest (only ``ingests``'s rows
    when given: the runs a scan read, not one that finished after it started)."""
    m = read_small(dataset, "manifest")
    if ingests is not None:
        m = m.filter(pc.is_in(m.column("ingest"), pa.array(ingests, pa.string())))
    m = standing(m)
    status = m.column("status").to_pylist()
    rejected = [int(x or 0) for x in m.column("lines_rejected").to_pylist()]
    return IngestAccounting(
        files=m.num_rows,
        lines=sum(int(x or 0) for x in m.column("lines").to_pylist()),
        rejected_lines=sum(rejected),
        files_with_rejected=sum(1 for x in rejected if x),
        files_not_read=sum(1 for x in status if x not in ("loaded", "duplicate")),
    )
