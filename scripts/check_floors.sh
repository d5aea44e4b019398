#!/bin/sh
# Run the test suite with every dependency at the lowest version pyproject.toml allows (its
# floors), in a throw-away venv: the proof that the floors are honest. Takes a few minutes.
#     sh scripts/check_floors.sh [pytest arguments]
set -e
cd "$(dirname "$0")/.."
venv=$(mktemp -d)/floors
python3 -m venv "$venv"
floors=$("$venv/bin/python" - <<'PY'
import tomllib, re
deps = tomllib.load(open("pyproject.toml", "rb"))["project"]
wanted = deps["dependencies"] + deps["optional-dependencies"]["test"]
out = []
for spec in wanted:
    req, _, marker = spec.partition(";")
    if marker.strip() and "python_version >= '3.12'" in marker:
        continue  # the 3.11 line is the one this interpreter takes
    m = re.match(r"\s*([A-Za-z0-9_.-]+)\s*>=\s*([0-9][^,\s]*)", req)
    if m:
        out.append(f"{m.group(1)}=={m.group(2)}")
print(" ".join(out))
PY
)
echo "installing the floors: $floors"
# shellcheck disable=SC2086
"$venv/bin/pip" install -q $floors
"$venv/bin/pip" install -q --no-deps -e .
"$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
