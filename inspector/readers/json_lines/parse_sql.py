"""DuckDB SQL that parses osquery JSON lines held in an Arrow table ``lines_tbl(line, item, text, ok)``.

One pass parses each line once (``json_transform`` into a struct), classifies its shape, and
flattens the fields every shape needs; the per-shape queries then build canonical rows from that
flat table (``flat``) without parsing the line again.
"""

from __future__ import annotations

from collections.abc import Callable

from inspector.readers.glog_lines import GLOG_LINE

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
# Lines are parsed with the fields of result records first (most lines of most files), the rest
# only for lines without a ``name``: json_transform's cost grows with the fields asked for.
_RESULT_FIELDS = {
    "name", "hostIdentifier", "hostname", "calendarTime", "unixTime", "epoch", "counter",
    "numerics", "logNumericsAsNumbers", "decorations", "columns", "action", "diffResults",
    "snapshot",
}  # fmt: skip
_SHARED_FIELDS = {"hostIdentifier", "hostname", "calendarTime", "unixTime"}


def _structure(keep: Callable[[str], bool]) -> str:
    return "{" + ",".join(f'"{key}":"{typ}"' for key, typ in _FIELDS if keep(key)) + "}"


_STRUCTURE = _structure(lambda k: True)
_RESULT_STRUCTURE = _structure(lambda k: k in _RESULT_FIELDS)
_OTHER_STRUCTURE = _structure(lambda k: k not in _RESULT_FIELDS or k in _SHARED_FIELDS)
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


def time_us(unix: str, calendar: str) -> str:
    """SQL: µs since the epoch from ``unixTime``, else from ``calendarTime``."""
    return f"coalesce({SECONDS_TO_US.format(x=unix)}, {_CALENDAR_TO_US.format(x=calendar)})"


def _is_list_or_missing(json_expr: str, path: str) -> str:
    """SQL: the value at ``path`` is a list, absent, or "" (osquery ≤ 2.x wrote empty lists so)."""
    kind = f"json_type({json_expr}, '{path}')"
    empty = f"({kind} = 'VARCHAR' AND json_extract_string({json_expr}, '{path}') = '')"
    return f"coalesce({kind} = 'ARRAY' OR {empty}, {kind} IS NULL)"


PARSE = f"""
WITH first AS (
    -- TRY: a line that is not JSON gives NULL here (json_valid then says so) instead of
    -- failing the whole chunk; valid lines are parsed once, not validated and then parsed.
    SELECT line, item, text,
           CASE WHEN ok THEN TRY(json_transform(text, '{_RESULT_STRUCTURE}')) END AS r, ok
    FROM lines_tbl
), valid AS (
    SELECT line, item, text, r, CASE WHEN r IS NOT NULL THEN true ELSE ok AND json_valid(text) END AS v
    FROM first
), parsed AS (
    SELECT line, item, text, r, v,
           -- The other shapes' fields, for lines that are no result record (rarely a record
           -- that has a name but none of columns/diffResults/snapshot: still looked at).
           CASE WHEN v AND (r.name IS NULL OR (r.columns IS NULL AND r.diffResults IS NULL
                                              AND r.snapshot IS NULL))
                THEN json_transform(text, '{_OTHER_STRUCTURE}') END AS o
    FROM valid
), shaped AS (
    SELECT *,
        CASE
            WHEN NOT v THEN NULL
            WHEN r.name IS NOT NULL AND left(r.columns, 1) = '{{'
                THEN CASE WHEN r.action = 'snapshot' THEN 'snapshot_row' ELSE 'event' END
            WHEN r.name IS NOT NULL AND left(r.diffResults, 1) = '{{'
                 AND {_is_list_or_missing("r.diffResults", "$.added")}
                 AND {_is_list_or_missing("r.diffResults", "$.removed")} THEN 'batch'
            WHEN r.name IS NOT NULL
                 AND (left(r.snapshot, 1) = '[' OR CAST(r.snapshot AS VARCHAR) = '""')
                THEN 'snapshot'
            WHEN left(o.data, 1) = '[' AND (o.log_type IS NOT NULL OR o.node_key IS NOT NULL)
                THEN 'envelope'
            WHEN o.message IS NOT NULL AND (o.severity IS NOT NULL OR o.filename IS NOT NULL)
                THEN 'status'
            WHEN o.m IS NOT NULL AND (o.s IS NOT NULL OR o.f IS NOT NULL) THEN 'status_short'
            WHEN o.msg IS NOT NULL
                 AND regexp_matches(rtrim(split_part(o.msg, chr(10), 1), chr(13)), '{_GLOG_SQL}')
                THEN 'glog_in_json'
            ELSE 'unknown'
        END AS shape
    FROM parsed
), flat AS (
SELECT
    line, item, v, shape,
    CASE WHEN shape IN ('event', 'snapshot_row', 'batch', 'snapshot') AND r.decorations IS NULL
         THEN len(list_filter(json_keys(text), lambda k: NOT list_contains({_KNOWN_KEYS_SQL}, k))) > 0
         ELSE false END AS has_extra,
    r.name AS name,
    coalesce(r.hostIdentifier, r.hostname, o.h) AS host,
    coalesce({time_us("r.unixTime", "r.calendarTime")}, {time_us("o.u", "o.c")}) AS log_us,
    {_INTEGER.format(x="r.epoch")} AS epoch,
    {_INTEGER.format(x="r.counter")} AS counter,
    TRY_CAST(coalesce(r.numerics, r.logNumericsAsNumbers) AS BOOLEAN) AS numerics,
    r.decorations AS decorations,
    r.columns AS columns, r.action AS action,
    r.diffResults AS diff, r.snapshot AS snap, o.data AS data, o.log_type AS log_type,
    coalesce(o.severity, o.s) AS severity, coalesce(o.filename, o.f) AS file,
    TRY_CAST(coalesce(o.line, o.i) AS INTEGER) AS src_line,
    coalesce(o.message, o.m) AS message, o.version AS version,
    o.msg AS msg, o.ts AS ts,
    -- An event line's time and eid, read here so its rows need no second pass (see EVENT_FIELDS).
    CASE WHEN shape IN ('event', 'snapshot_row')
         THEN json_extract_string(r.columns, ['$.time', '$.eid']) END AS te
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
# canonical_rows.event_rows: a projection, no second query).
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

# Runs of batch and snapshot lines that logged no row at all (a snapshot of [] or "", a batch
# with nothing added or removed): the run is kept (host, query, time), as osquery ran it.
EMPTY_RUNS = """
SELECT line, item, shape AS format, host, name AS query, log_us, counter, epoch
FROM (
    SELECT *, CASE WHEN shape = 'snapshot' THEN len(coalesce(json_transform(snap, '["JSON"]'), []))
              ELSE len(coalesce(d.removed, [])) + len(coalesce(d.added, [])) END AS n
    FROM (SELECT *, json_transform(diff, '{"removed":["JSON"],"added":["JSON"]}') AS d
          FROM flat WHERE shape IN ('batch', 'snapshot'))
) WHERE n = 0
"""

# Lines that wrote an empty list as "" (osquery ≤ 2.x).
LEGACY_EMPTY_LISTS = """
SELECT count(*) FROM flat
WHERE (shape = 'snapshot' AND CAST(snap AS VARCHAR) = '""')
   OR (shape = 'batch' AND (json_extract_string(diff, '$.added') = ''
                            OR json_extract_string(diff, '$.removed') = ''))
"""

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
SELECT line, item, CASE WHEN shape = 'status' THEN 'json' ELSE 'json_short' END AS format,
    -- TLS-logger status records may carry no hostIdentifier: the decorations name the host.
    coalesce(host, json_extract_string(decorations, '$.hostname'),
             json_extract_string(decorations, '$.host_uuid')) AS host,
    CASE WHEN host IS NOT NULL THEN NULL
         WHEN json_extract_string(decorations, '$.hostname') IS NOT NULL THEN 'decorations.hostname'
         WHEN json_extract_string(decorations, '$.host_uuid') IS NOT NULL THEN 'decorations.host_uuid'
    END AS host_from,
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
