"""Runs: what each input root given to a load holds (a folder; files given on their own are
grouped by the folder they are in, so a results log and its status log given as two paths are
one run).

Two folders of one host (``before/mbp-01 after/mbp-01``) are two runs of that host: they must
never share a lane, or one run's rows would count as duplicates of the other's. A load records
which run every input file belongs to (``RUN_SOURCES``, one row per file: small), and — only
when some host appears in more than one run — a dictionary-encoded ``run`` column on the
records, status and subscription rows: the run's name for rows of such a host, null for every
other row. A load of one input, or of several inputs that share no host, gets no column at all
and looks exactly as before.
"""

from __future__ import annotations

import os

import numpy as np
import pyarrow as pa

from inspector.arrow_columns import dictionary_digits

RUN = "run"  # the column's name
RUN_TYPE = pa.dictionary(pa.int32(), pa.string())
RUN_SEPARATOR = " · "

# Which run each input file (``SourceReport.path``) came from.
RUN_SOURCES = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),  # the file as listed in the sources
        pa.field("run", pa.string(), nullable=False),  # the run's name (unique in the load)
        pa.field("root", pa.string(), nullable=False),  # the input root as given
    ]
)


def run_names(roots: list[str]) -> list[str]:
    """A short name per input root, unique within the load: what tells the paths apart once
    the folders they all start with and end with are dropped (``before`` and ``after`` of
    ``/cases/before/mbp-01`` and ``/cases/after/mbp-01``); a lone root is named by its own
    name; paths that cannot be told apart get a number."""
    parts = [os.path.normpath(os.path.abspath(r)).strip(os.sep).split(os.sep) for r in roots]
    if len(parts) < 2:
        return [p[-1] or os.sep for p in parts]
    shortest = min(len(p) for p in parts)
    prefix = 0
    while prefix < shortest - 1 and len({p[prefix] for p in parts}) == 1:
        prefix += 1
    suffix = 0
    while suffix < shortest - prefix - 1 and len({p[-1 - suffix] for p in parts}) == 1:
        suffix += 1
    names = [os.sep.join(p[prefix : len(p) - suffix]) or p[-1] for p in parts]
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if names.count(name) == 1 else f"{name} ({seen[name]})")
    return out


def lane_host(host: str | None, run: str | None) -> str | None:
    """What a lane of ``host`` is called: the host, or ``mbp-01 · after`` for a host seen in
    several runs (``run`` is null for every other host)."""
    if run is None or host is None:
        return host
    return f"{host}{RUN_SEPARATOR}{run}"


def run_of_lane_host(name: str | None) -> str | None:
    """The run in a lane host's name (``after`` of ``mbp-01 · after``; see ``lane_host``)."""
    if name is None or RUN_SEPARATOR not in name:
        return None
    return name.rsplit(RUN_SEPARATOR, 1)[1]


def _row_runs(table: pa.Table, runs: pa.Table, names: list[str]) -> np.ndarray:
    """Per row of ``table`` 1 + the index of its run in ``names`` (0: a source of no run)."""
    source_digits, sources = dictionary_digits(table.column("source"))
    run_of_path = dict(
        zip(runs.column("source").to_pylist(), runs.column("run").to_pylist(), strict=True)
    )
    code_of = {name: k + 1 for k, name in enumerate(names)}
    # Per source dictionary entry its run, then per row: one vectorised lookup.
    run_of_source = np.array(
        [0] + [code_of.get(run_of_path.get(s, ""), 0) for s in sources.to_pylist()],
        dtype=np.int64,
    )
    row_run: np.ndarray = run_of_source[source_digits]
    return row_run


def _names(runs: pa.Table) -> list[str]:
    return sorted(set(runs.column("run").to_pylist())) if runs.num_rows else []


# Per host given in several runs, the runs that hold its records.
SplitHosts = dict[str, frozenset[str]]


def hosts_in_several_runs(runs: pa.Table, records: pa.Table) -> SplitHosts:
    """The hosts whose records (rows of ``records``, with ``source`` and ``host``) come from
    more than one run, each with those runs; empty at once for a single run. Only records
    count: a status log given beside the results (another path) splits nothing."""
    names = _names(runs)
    if len(names) < 2 or not records.num_rows:
        return {}
    width = len(names) + 1
    row_run = _row_runs(records, runs, names)
    host_digits, hosts = dictionary_digits(records.column("host"))
    pairs = np.bincount(
        host_digits.astype(np.int64) * width + row_run, minlength=width * (len(hosts) + 1)
    ).reshape(len(hosts) + 1, width)
    out: SplitHosts = {}
    for h, host in enumerate(hosts.to_pylist(), start=1):
        held = np.flatnonzero(pairs[h, 1:])
        if len(held) > 1:
            out[host] = frozenset(names[k] for k in held.tolist())
    return out


def run_column(table: pa.Table, runs: pa.Table, hosts: SplitHosts) -> pa.DictionaryArray | None:
    """Per row of ``table`` (with ``source`` and ``host``), its run's name when its host is
    one of ``hosts`` (given in several runs) and its run holds that host's records; else null
    (a status line from a run with none of the host's records applies to all its runs). None
    (no column) when no row has a run."""
    if not hosts or not table.num_rows:
        return None
    names = _names(runs)
    row_run = _row_runs(table, runs, names)
    host_digits, dictionary = dictionary_digits(table.column("host"))
    # host digit × run code → the row keeps its run (a small table: hosts × runs).
    keeps = np.zeros((len(dictionary) + 1, len(names) + 1), dtype=bool)
    for h, host in enumerate(dictionary.to_pylist(), start=1):
        for run in hosts.get(host, ()):
            keeps[h, names.index(run) + 1] = True
    index = np.where(keeps[host_digits, row_run], row_run - 1, -1).astype(np.int32)
    if not (index >= 0).any():
        return None
    return pa.DictionaryArray.from_arrays(
        pa.array(index, pa.int32(), mask=index < 0), pa.array(names, pa.string())
    )


def with_run_column(table: pa.Table, runs: pa.Table, hosts: SplitHosts) -> pa.Table:
    """``table`` with a ``run`` column when some of its rows belong to a run of one of
    ``hosts``."""
    if RUN in table.column_names:
        return table
    column = run_column(table, runs, hosts)
    return table if column is None else table.append_column(pa.field(RUN, RUN_TYPE), column)


def has_runs(table: pa.Table) -> bool:
    """The table tells runs apart (it has a ``run`` column)."""
    return RUN in table.column_names


def runs_of(table: pa.Table) -> list[str]:
    """``["run"]`` when ``table`` tells runs apart, else ``[]`` (for a column selection)."""
    return [RUN] if has_runs(table) else []


def with_run_of_rows(table: pa.Table) -> pa.Table:
    """``table`` with a plain-string ``run`` column: its own, or all null (one run) — for SQL
    that joins on the run whether or not the load had several."""
    if has_runs(table):
        index = table.schema.get_field_index(RUN)
        return table.set_column(index, RUN, table.column(RUN).cast(pa.string()))
    return table.append_column(RUN, pa.nulls(table.num_rows, pa.string()))
