"""DuckDB SQL that parses osquery JSON lines held in an Arrow table ``lines_tbl(line, item, text, ok)``.

One pass parses each line once (``json_transform`` into a struct), classifies its shape, and
flattens the fields every shape needs; the per-shape queries then build canonical rows from that
flat table (``flat``) without parsing the line again.
"""

from __future__ import annotations

from inspector.readers.glog import GLOG_LINE

# Every top-level key osquery writes in a result or status record (plus the AWS/TLS additions).
# Anything else at the top level of a result line is a decoration (--decorations_top_level).
RESULT_KEYS = (
    "name", "hostIdentifier", "hostname", "calendarTime", "unixTime", "epoch", "counter",
    "numerics", "logNumericsAsNumbers", "decorations", "columns", "action", "diffResults",
    "snapshot", "log_type",
)  # fmt: skip

_FIELDS = [
    ("name", "VARCHAR"), ("hostIdentifier", "VARCHAR"), ("hostname", "VARCHAR"),
    ("calendarTime", "VARCHAR"), ("unixTime", "VARCHAR"), ("epoch", "VARCHAR"),
    ("counter", "VARCHAR"), ("numerics", "VARCHAR"), ("logNumericsAsNumbers", "VARCHAR"),
    ("decorations", "JSON"), ("columns", "JSON"), ("action", "VARCHAR"),
    ("diffResults", "JSON"), ("snapshot", "JSON"), ("log_type", "VARCHAR"),
    ("node_key", "VARCHAR"), ("data", "JSON"),
    ("severity", "VARCHAR"), ("filename", "VARCHAR"), ("line", "VARCHAR"),
    ("message", "VARCHAR"), ("version", "VARCHAR"),
    ("s", "VARCHAR"), ("f", "VARCHAR"), ("i", "VARCHAR"), ("m", "VARCHAR"),
    ("h", "VARCHAR"), ("c", "VARCHAR"), ("u", "VARCHAR"),
    ("msg", "VARCHAR"), ("ts", "VARCHAR"),
]  # fmt: skip
_STRUCTURE = "{" + ",".join(f'"{key}":"{typ}"' for key, typ in _FIELDS) + "}"
_KNOWN_KEYS_SQL = "[" + ", ".join(f"'{k}'" for k in RESULT_KEYS) + "]"

# Seconds (a number or numeric string) → microseconds. osquery never logged before 1973 or
# after 2500: anything else is a damaged value and becomes NULL (unixTime then falls back to
# calendarTime).
SECONDS_TO_US = (
    "CASE WHEN TRY_CAST({x} AS DOUBLE) BETWEEN 100000000 AND 16725225600 "
    "THEN CAST(round(TRY_CAST({x} AS DOUBLE) * 1000000) AS BIGINT) END"
)
_CALENDAR_TO_US = (
    "epoch_us(try_strptime(regexp_replace(trim({x}), '\\s+', ' ', 'g'), "
    "['%a %b %d %H:%M:%S %Y UTC', '%a %b %d %H:%M:%S %Y']))"
)
# counter and epoch are whole numbers; "4.5" is damage, not 5.
_INTEGER = "TRY_CAST(CASE WHEN regexp_full_match(trim({x}), '-?[0-9]{{1,18}}') THEN trim({x}) END AS BIGINT)"
_GLOG_SQL = GLOG_LINE.replace("'", "''")


def _time_us(unix: str, calendar: str) -> str:
    return f"coalesce({SECONDS_TO_US.format(x=unix)}, {_CALENDAR_TO_US.format(x=calendar)})"


def _is_list_or_missing(json_expr: str, path: str) -> str:
    return f"coalesce(json_type({json_expr}, '{path}') = 'ARRAY', json_type({json_expr}, '{path}') IS NULL)"


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
            WHEN j.name IS NOT NULL AND left(j.diffResults, 1) = '{{'
                 AND {_is_list_or_missing("j.diffResults", "$.added")}
                 AND {_is_list_or_missing("j.diffResults", "$.removed")} THEN 'batch'
            WHEN j.name IS NOT NULL AND left(j.snapshot, 1) = '[' THEN 'snapshot'
            WHEN left(j.data, 1) = '[' AND (j.log_type IS NOT NULL OR j.node_key IS NOT NULL)
                THEN 'envelope'
            WHEN j.message IS NOT NULL AND (j.severity IS NOT NULL OR j.filename IS NOT NULL)
                THEN 'status'
            WHEN j.m IS NOT NULL AND (j.s IS NOT NULL OR j.f IS NOT NULL) THEN 'status_short'
            WHEN j.msg IS NOT NULL
                 AND regexp_matches(rtrim(split_part(j.msg, chr(10), 1), chr(13)), '{_GLOG_SQL}')
                THEN 'glog_in_json'
            ELSE 'unknown'
        END AS shape
    FROM parsed
), flat AS (
SELECT
    line, item, v, shape,
    CASE WHEN shape IN ('event', 'snapshot_row', 'batch', 'snapshot') AND j.decorations IS NULL
         THEN len(list_filter(json_keys(text), lambda k: NOT list_contains({_KNOWN_KEYS_SQL}, k))) > 0
         ELSE false END AS has_extra,
    j.name AS name,
    coalesce(j.hostIdentifier, j.hostname, j.h) AS host,
    coalesce({_time_us("j.unixTime", "j.calendarTime")}, {_time_us("j.u", "j.c")}) AS log_us,
    {_INTEGER.format(x="j.epoch")} AS epoch,
    {_INTEGER.format(x="j.counter")} AS counter,
    TRY_CAST(coalesce(j.numerics, j.logNumericsAsNumbers) AS BOOLEAN) AS numerics,
    j.decorations AS decorations,
    j.columns AS columns, j.action AS action,
    j.diffResults AS diff, j.snapshot AS snap, j.data AS data, j.log_type AS log_type,
    coalesce(j.severity, j.s) AS severity, coalesce(j.filename, j.f) AS file,
    TRY_CAST(coalesce(j.line, j.i) AS INTEGER) AS src_line,
    coalesce(j.message, j.m) AS message, j.version AS version,
    j.msg AS msg, j.ts AS ts,
    -- An event line's time and eid, read here so its rows need no second pass (see EVENT_FIELDS).
    CASE WHEN shape IN ('event', 'snapshot_row')
         THEN json_extract_string(j.columns, ['$.time', '$.eid']) END AS te
FROM shaped
)
SELECT * EXCLUDE (te), {SECONDS_TO_US.format(x="te[1]")} AS event_us, te[2] AS eid FROM flat
"""

# Top-level decorations of the lines flagged ``has_extra`` (json_each copes with any key).
TOP_LEVEL_DECORATIONS = f"""
SELECT l.line, l.item, json_group_object(e.key, e.value) AS deco
FROM extra_lines l, json_each(l.text) e
WHERE NOT list_contains({_KNOWN_KEYS_SQL}, e.key)
GROUP BY l.line, l.item
ORDER BY l.line, l.item NULLS FIRST
"""

_RECORD_TAIL = f"""
    log_us, epoch, counter, numerics, decorations,
    {SECONDS_TO_US.format(x="te[1]")} AS event_us, te[2] AS eid, row
"""

# The columns of an event or snapshot_row line's record, as ``flat`` holds them (see
# json_rows.event_rows: a projection, no second query).
EVENT_FIELDS = ("log_us", "epoch", "counter", "numerics", "decorations", "event_us", "eid")


# Rows of batch and snapshot lines. For a line, ``item`` numbers its rows; for an item of a TLS
# envelope (``item`` already set), ``part`` does.
_UNNESTED = f"""
SELECT line,
    CASE WHEN item IS NULL THEN CAST(i - 1 AS INTEGER) ELSE item END AS item,
    CASE WHEN item IS NULL THEN NULL ELSE CAST(i - 1 AS INTEGER) END AS part,
    shape AS format, host, name AS query,
    CASE WHEN shape = 'snapshot' THEN 'snapshot' WHEN i <= nrem THEN 'removed' ELSE 'added' END
        AS action,
    {_RECORD_TAIL}
FROM (
    SELECT *, json_extract_string(row, ['$.time', '$.eid']) AS te
    FROM (
        SELECT *, generate_subscripts(rows, 1) AS i, unnest(rows) AS row
        FROM (SELECT *, {{rows}} AS rows, {{nrem}} AS nrem FROM (
            SELECT *, {{transform}} AS d FROM flat WHERE shape = '{{shape}}'))
    )
)
WHERE left(row, 1) = '{{{{'
"""

BATCH = _UNNESTED.format(
    transform="""json_transform(diff, '{"removed":["JSON"],"added":["JSON"]}')""",
    rows="list_concat(coalesce(d.removed, []), coalesce(d.added, []))",
    nrem="len(coalesce(d.removed, []))",
    shape="batch",
)
SNAPSHOT = _UNNESTED.format(
    transform="""json_transform(snap, '["JSON"]')""",
    rows="coalesce(d, [])",
    nrem="0",
    shape="snapshot",
)

# Rows inside diffResults/snapshot arrays that are not objects (dropped, and counted).
NON_OBJECT_ROWS = """
SELECT count(*) FROM (
    SELECT unnest(CASE WHEN shape = 'snapshot' THEN json_transform(snap, '["JSON"]')
        ELSE list_concat(coalesce(d.removed, []), coalesce(d.added, [])) END) AS row
    FROM (SELECT *, json_transform(diff, '{"removed":["JSON"],"added":["JSON"]}') AS d
          FROM flat WHERE shape IN ('batch', 'snapshot'))
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
