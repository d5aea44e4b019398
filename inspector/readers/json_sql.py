"""DuckDB SQL that parses osquery JSON lines held in an Arrow table ``lines_tbl(line, item, text, ok)``.

One pass parses each line once (``json_transform`` into a struct), classifies its shape, and
flattens the fields every shape needs; the per-shape queries then build canonical rows from that
flat table without parsing the line again.
"""

from __future__ import annotations

# Every top-level key osquery writes in a result or status record (plus the AWS/TLS additions).
# Anything else at the top level of a result line is a decoration (--decorations_top_level).
RESULT_KEYS = (
    "name", "hostIdentifier", "hostname", "calendarTime", "unixTime", "epoch", "counter",
    "numerics", "logNumericsAsNumbers", "decorations", "columns", "action", "diffResults",
    "snapshot", "log_type",
)  # fmt: skip

_STRUCTURE = (
    "{"
    + ",".join(
        f'"{key}":"{typ}"'
        for key, typ in [
            ("name", "VARCHAR"),
            ("hostIdentifier", "VARCHAR"),
            ("hostname", "VARCHAR"),
            ("calendarTime", "VARCHAR"),
            ("unixTime", "VARCHAR"),
            ("epoch", "VARCHAR"),
            ("counter", "VARCHAR"),
            ("numerics", "VARCHAR"),
            ("logNumericsAsNumbers", "VARCHAR"),
            ("decorations", "JSON"),
            ("columns", "JSON"),
            ("action", "VARCHAR"),
            ("diffResults", "JSON"),
            ("snapshot", "JSON"),
            ("log_type", "VARCHAR"),
            ("node_key", "VARCHAR"),
            ("data", "JSON"),
            ("severity", "VARCHAR"),
            ("filename", "VARCHAR"),
            ("line", "VARCHAR"),
            ("message", "VARCHAR"),
            ("version", "VARCHAR"),
            ("s", "VARCHAR"),
            ("f", "VARCHAR"),
            ("i", "VARCHAR"),
            ("m", "VARCHAR"),
            ("h", "VARCHAR"),
            ("c", "VARCHAR"),
            ("u", "VARCHAR"),
            ("msg", "VARCHAR"),
            ("ts", "VARCHAR"),
        ]
    )
    + "}"
)

_KNOWN_KEYS_SQL = "[" + ", ".join(f"'{k}'" for k in RESULT_KEYS) + "]"

# Seconds (number or numeric string) → microseconds; implausible values become NULL.
_SECONDS_TO_US = (
    "CASE WHEN TRY_CAST({x} AS DOUBLE) BETWEEN 0 AND 17179869184 "
    "THEN CAST(round(TRY_CAST({x} AS DOUBLE) * 1000000) AS BIGINT) END"
)
_CALENDAR_TO_US = (
    "epoch_us(try_strptime(regexp_replace(trim({x}), '\\s+', ' ', 'g'), "
    "['%a %b %d %H:%M:%S %Y UTC', '%a %b %d %H:%M:%S %Y']))"
)


def _time_us(unix: str, calendar: str) -> str:
    return f"coalesce({_SECONDS_TO_US.format(x=unix)}, {_CALENDAR_TO_US.format(x=calendar)})"


PARSE = f"""
WITH parsed AS (
    SELECT line, item, text, v,
           CASE WHEN v THEN json_transform(text, '{_STRUCTURE}') END AS j
    FROM (SELECT line, item, text, ok AND json_valid(text) AS v FROM lines_tbl)
), shaped AS (
    SELECT *,
        CASE
            WHEN NOT v THEN NULL
            WHEN j.name IS NOT NULL AND left(j.columns, 1) = '{{'
                THEN CASE WHEN j.action = 'snapshot' THEN 'snapshot_row' ELSE 'event' END
            WHEN j.name IS NOT NULL AND left(j.diffResults, 1) = '{{' THEN 'batch'
            WHEN j.name IS NOT NULL AND left(j.snapshot, 1) = '[' THEN 'snapshot'
            WHEN left(j.data, 1) = '[' AND (j.log_type IS NOT NULL OR j.node_key IS NOT NULL)
                THEN 'envelope'
            WHEN j.message IS NOT NULL AND (j.severity IS NOT NULL OR j.filename IS NOT NULL)
                THEN 'status'
            WHEN j.m IS NOT NULL AND (j.s IS NOT NULL OR j.f IS NOT NULL) THEN 'status_short'
            WHEN j.msg IS NOT NULL AND regexp_matches(j.msg, '^[IWEF]\\d{{4}} \\d\\d:\\d\\d:\\d\\d')
                THEN 'glog_in_json'
            ELSE 'unknown'
        END AS shape
    FROM parsed
), extras AS (
    SELECT *,
        CASE WHEN shape IN ('event', 'snapshot_row', 'batch', 'snapshot') AND j.decorations IS NULL
             THEN list_filter(json_keys(text), lambda k: NOT list_contains({_KNOWN_KEYS_SQL}, k))
        END AS extra_keys
    FROM shaped
)
SELECT
    line, item, v, shape,
    j.name AS name,
    coalesce(j.hostIdentifier, j.hostname, j.h) AS host,
    coalesce({_time_us("j.unixTime", "j.calendarTime")}, {_time_us("j.u", "j.c")}) AS log_us,
    TRY_CAST(j.epoch AS BIGINT) AS epoch,
    TRY_CAST(j.counter AS BIGINT) AS counter,
    TRY_CAST(coalesce(j.numerics, j.logNumericsAsNumbers) AS BOOLEAN) AS numerics,
    CASE WHEN len(extra_keys) > 0 THEN to_json(map_from_entries(list_transform(extra_keys,
            lambda k: {{'key': k, 'value': json_extract_string(text, '$."' || k || '"')}})))
         ELSE j.decorations END AS decorations,
    j.columns AS columns, j.action AS action,
    j.diffResults AS diff, j.snapshot AS snap, j.data AS data, j.log_type AS log_type,
    coalesce(j.severity, j.s) AS severity, coalesce(j.filename, j.f) AS file,
    TRY_CAST(coalesce(j.line, j.i) AS INTEGER) AS src_line,
    coalesce(j.message, j.m) AS message, j.version AS version,
    j.msg AS msg, j.ts AS ts
FROM extras
"""

_RECORD_TAIL = """
    log_us, epoch, counter, numerics, decorations,
    json_extract_string(row, ['$.time', '$.eid']) AS te, row
"""

EVENTS = f"""
SELECT line, item, NULL::INTEGER AS sub, shape AS format, host, name AS query,
    CASE WHEN shape = 'snapshot_row' THEN 'snapshot' ELSE action END AS action,
    {_RECORD_TAIL}
FROM (SELECT *, columns AS row FROM flat WHERE shape IN ('event', 'snapshot_row'))
"""

_UNNESTED = """
SELECT line, item, CAST(i - 1 AS INTEGER) AS sub, shape AS format, host, name AS query,
    CASE WHEN shape = 'snapshot' THEN 'snapshot' WHEN i <= nrem THEN 'removed' ELSE 'added' END
        AS action,
    {tail}
FROM (
    SELECT *, generate_subscripts(rows, 1) AS i, unnest(rows) AS row
    FROM (
        SELECT *, {rows} AS rows, {nrem} AS nrem FROM flat WHERE shape = '{shape}'
    )
)
WHERE left(row, 1) = '{{'
"""

BATCH = _UNNESTED.format(
    tail=_RECORD_TAIL,
    rows='list_concat(coalesce(json_transform(diff, \'{"removed":["JSON"]}\').removed, []), '
    'coalesce(json_transform(diff, \'{"added":["JSON"]}\').added, []))',
    nrem='len(coalesce(json_transform(diff, \'{"removed":["JSON"]}\').removed, []))',
    shape="batch",
)

SNAPSHOT = _UNNESTED.format(
    tail=_RECORD_TAIL, rows="coalesce(json_transform(snap, '[\"JSON\"]'), [])", nrem="0",
    shape="snapshot",
)  # fmt: skip

# Rows inside diffResults/snapshot arrays that are not objects (they are dropped, and counted).
NON_OBJECT_ROWS = """
SELECT count(*) FROM (
    SELECT unnest(CASE WHEN shape = 'snapshot' THEN json_transform(snap, '["JSON"]')
        ELSE list_concat(json_transform(diff, '{"removed":["JSON"]}').removed,
                         json_transform(diff, '{"added":["JSON"]}').added) END) AS row
    FROM flat WHERE shape IN ('batch', 'snapshot')
) WHERE left(row, 1) <> '{'
"""

STATUS = """
SELECT line, item, CASE WHEN shape = 'status' THEN 'json' ELSE 'json_short' END AS format, host,
    CASE trim(severity) WHEN '0' THEN 'INFO' WHEN '1' THEN 'WARNING' WHEN '2' THEN 'ERROR'
        WHEN '3' THEN 'FATAL' ELSE upper(severity) END AS severity,
    log_us, file, src_line, message, version
FROM flat WHERE shape IN ('status', 'status_short')
"""

ENVELOPE_ITEMS = """
SELECT line, CAST(i - 1 AS INTEGER) AS item, row AS text, log_type
FROM (
    SELECT line, log_type, generate_subscripts(rows, 1) AS i, unnest(rows) AS row
    FROM (SELECT line, log_type, coalesce(json_transform(data, '["JSON"]'), []) AS rows
          FROM flat WHERE shape = 'envelope')
)
"""

GLOG_IN_JSON = """
SELECT line, item, msg, epoch_us(TRY_CAST(ts AS TIMESTAMPTZ)) AS ts_us
FROM flat WHERE shape = 'glog_in_json'
"""
