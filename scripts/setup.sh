#!/bin/sh
# Set up .venv with the app, at the versions of requirements/app.lock. With --test: the test
# tools too (requirements/test.lock, pyspark included), and Debian's rocksdb-tools (ldb, a second
# RocksDB version for the database tests) and a Java runtime (for the Spark tests) where this
# machine lets us install them.
set -e
cd "$(dirname "$0")/.."
python3 -m venv .venv
if [ "${1:-}" = "--test" ]; then
    .venv/bin/pip install -q -r requirements/test.lock
    .venv/bin/pip install -q --no-deps -e '.[test]'
    if ! command -v ldb >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rocksdb-tools; } >/dev/null 2>&1; then
                echo "note: could not install rocksdb-tools (ldb); the test that needs it will be skipped" >&2
            fi
        else
            echo "note: rocksdb-tools (ldb) is not installed and cannot be installed here; its test will be skipped" >&2
        fi
    fi
    # The Spark tests (the fleet extra) need a Java runtime; Debian's is enough.
    if ! command -v java >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless; } >/dev/null 2>&1; then
                echo "note: could not install openjdk-17-jre-headless; the Spark tests will be skipped" >&2
            fi
        else
            echo "note: no Java runtime and none can be installed here; the Spark tests will be skipped" >&2
        fi
    fi
else
    .venv/bin/pip install -q -r requirements/app.lock
    .venv/bin/pip install -q --no-deps -e .
fi
# The app's own modules compiled now, as a regular pip install does: an editable install leaves
# it to the first start (0.1–0.2 s more), or to every start where PYTHONDONTWRITEBYTECODE is set.
.venv/bin/python -m compileall -q inspector ui >/dev/null
