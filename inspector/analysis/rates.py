"""Events per time bucket per lane (host × publisher → subscriber, or host × query), zero-filled.

A lane's empty buckets are present as zeros so gaps (restarts, downtime) show. Event time is the
row's own ``time``; rows without one count at their log time.
"""

from __future__ import annotations

import pyarrow as pa

from inspector.analysis.binning import RATES, Binner, event_times, stream_of_formats, zero_filled
from inspector.progress import Progress, report


def event_rates(
    records: pa.Table, bucket_seconds: int = 60, progress: Progress | None = None
) -> pa.Table:
    """Rows per bucket of ``bucket_seconds`` (1 s … 1 day) for every lane, empty buckets as 0."""
    if not 1 <= bucket_seconds <= 86400:
        raise ValueError("bucket size must be between 1 second and 1 day")
    report(progress, 0.0, "counting events per bucket")
    table = Binner(records).rates(bucket_seconds * 1_000_000)
    report(progress, 1.0, "rates ready")
    return table


__all__ = ["RATES", "event_rates", "event_times", "stream_of_formats", "zero_filled"]
