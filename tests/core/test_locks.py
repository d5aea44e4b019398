"""The lock files (requirements/*.lock) that CI, the setup script and the bundle install from
still satisfy pyproject.toml: every direct dependency pinned, inside its declared range."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def pins(name: str) -> dict[str, str]:
    out = {}
    for line in (ROOT / "requirements" / name).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            package, _, version = line.partition("==")
            assert version, f"{name}: {line!r} is not an exact pin"
            out[canonicalize_name(package)] = version
    return out


def declared(extra: str | None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    if extra:
        specs += project["optional-dependencies"][extra]
    return [r for r in map(Requirement, specs) if r.marker is None or r.marker.evaluate()]


@pytest.mark.parametrize(("lock", "extra"), [("app.lock", None), ("test.lock", "test")])
def test_every_direct_dependency_is_pinned_inside_its_range(lock, extra) -> None:
    locked = pins(lock)
    for req in declared(extra):
        name = canonicalize_name(req.name)
        assert name in locked, f"{lock} does not pin {req.name} (run scripts/lock.py)"
        assert req.specifier.contains(locked[name], prereleases=True), (
            f"{lock} pins {req.name}=={locked[name]}, outside pyproject's {req.specifier}"
        )


def test_the_app_lock_is_part_of_the_test_lock() -> None:
    app, test = pins("app.lock"), pins("test.lock")
    assert {k: v for k, v in test.items() if k in app} == app
