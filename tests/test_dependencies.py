"""pyproject.toml's dependency bounds and constraints.txt's pins agree.

Fast and offline: it reads the two files and installs nothing. See
docs/dependencies.md for why both exist and how to refresh the pins.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
NAME = canonicalize_name(PROJECT["name"])

# Operators that cap a version from above ("~=" caps at the next release series).
UPPER = {"<", "<=", "==", "===", "~="}


def _requirements(group: str) -> list[Requirement]:
    if group == "dependencies":
        raw = PROJECT["dependencies"]
    else:
        raw = PROJECT["optional-dependencies"][group]
    # "optimize[test]" in an extra refers to this project itself: not a dependency.
    return [r for r in map(Requirement, raw) if canonicalize_name(r.name) != NAME]


def _pins() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for number, line in enumerate((ROOT / "constraints.txt").read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", (
            f"constraints.txt:{number}: {line!r} is not an exact '==' pin"
        )
        name = canonicalize_name(req.name)
        assert name not in pins, f"constraints.txt:{number}: {req.name} pinned twice"
        pins[name] = Version(specs[0].version)
    return pins


GROUPS = ["dependencies", *PROJECT.get("optional-dependencies", {})]
INSTALLED = [(g, r) for g in ("dependencies", "test") for r in _requirements(g)]


@pytest.mark.parametrize("group", GROUPS)
def test_every_requirement_has_lower_and_upper_bound(group):
    for req in _requirements(group):
        ops = {spec.operator for spec in req.specifier}
        assert ops & UPPER, f"{group}: {req} has no upper bound"
        assert ops & {">=", ">", "==", "===", "~="}, f"{group}: {req} has no lower bound"


def test_test_extra_exists_with_pytest():
    assert "pytest" in {canonicalize_name(r.name) for r in _requirements("test")}


def test_constraints_header_says_how_to_refresh():
    head = (ROOT / "constraints.txt").read_text().splitlines()[:10]
    assert any(".ci/refresh-constraints" in line for line in head if line.startswith("#"))


def test_constraints_does_not_pin_the_project_itself():
    assert NAME not in _pins()


@pytest.mark.parametrize(
    "group,req", INSTALLED, ids=[f"{g}:{r.name}" for g, r in INSTALLED]
)
def test_pin_satisfies_pyproject(group, req):
    if req.marker is not None and not req.marker.evaluate({"extra": "test"}):
        pytest.skip(f"{req} does not apply on this platform")
    pins = _pins()
    name = canonicalize_name(req.name)
    assert name in pins, f"{req.name} ({group}) is not pinned in constraints.txt"
    assert req.specifier.contains(pins[name], prereleases=True), (
        f"constraints.txt pins {req.name}=={pins[name]}, outside pyproject's {req.specifier}"
    )
