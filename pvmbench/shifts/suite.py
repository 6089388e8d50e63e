"""Shift suites: versioned YAML files in shifts/suites/, validated against an env's factor schema.

A suite defines, per level, the distribution of every factor. Its content hash goes with every
result row; changing a suite means a new file with a new version, so old results keep their own.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import pathlib
from collections.abc import Mapping
from typing import Any

import yaml

from pvmbench.errors import UserError
from pvmbench.shifts.spec import ShiftSpec, parse_shift, parse_shifts

SUITES_DIR = pathlib.Path(__file__).parent / "suites"

# Parameter kinds a factor schema may use, with how each is checked.
RANGE, INT_RANGE, PROB, NAMES, SEEDS = "range", "int_range", "prob", "names", "seeds"
UNSEEN_SEED_BASE = 1_000_000  # "unseen" seeds start here, far from any fixed training seed


@dataclasses.dataclass(frozen=True)
class Ladder:
    """Factor parameters at both ends of a ladder and where on it a scenario sits.

    A level is a ladder whose ends are the same level, at position 0. A severity s runs from
    the suite's `severity.from` level (s = 0) to its `severity.to` level (s = 1); factors left
    out of a per-factor severity stay at the `from` end.
    """

    start: Mapping[str, Mapping[str, Any]]
    end: Mapping[str, Mapping[str, Any]]
    position: float
    factors: tuple[str, ...]

    def at(self, factor: str) -> float:
        return self.position if factor in self.factors else 0.0


@dataclasses.dataclass(frozen=True)
class Suite:
    name: str
    path: pathlib.Path
    data: Mapping[str, Any]
    content_hash: str

    @property
    def levels(self) -> tuple[str, ...]:
        return tuple(self.data["levels"])

    @property
    def factors(self) -> tuple[str, ...]:
        """The factors every level sets, in the suite's order: what severity=<s>:<factors> may name. A suite
        may name finer factors in a `factors:` mapping (driving-v2: weather knobs grouped as fog, rain...)."""
        if isinstance(self.data.get("factors"), Mapping):
            return tuple(self.data["factors"])
        return tuple(self.data["levels"][self.levels[0]])

    @property
    def presets(self) -> tuple[str, ...]:
        return tuple(self.data.get("presets") or ())

    @property
    def preset_ladder(self) -> tuple[str, ...]:
        return tuple(self.data.get("ladder") or ())

    def parse(self, shift: str | ShiftSpec) -> ShiftSpec:
        """One shift form, checked against this suite's levels, factors and presets."""
        return parse_shift(shift, self.levels, self.factors, self.presets)

    def parse_many(self, text: str) -> list[ShiftSpec]:
        """Every spec a `--shift` text names ('all', 'id,hard', 'severity=0,0.5,1', 'presets', ...)."""
        return parse_shifts(text, self.levels, self.factors, self.presets, self.preset_ladder)

    def ladder(self, shift: str | ShiftSpec) -> Ladder:
        spec = self.parse(shift)
        levels = self.data["levels"]
        if spec.level is not None:
            return Ladder(levels[spec.level], levels[spec.level], 0.0, self.factors)
        if spec.position is None:
            raise UserError(f"shift {spec.label!r}: suite {self.name} has no ladder for it")
        ladder = self.data["severity"]
        return Ladder(levels[ladder["from"]], levels[ladder["to"]], spec.position, spec.moved_factors or self.factors)


def suite_path(name_or_path: str | pathlib.Path) -> pathlib.Path:
    candidate = pathlib.Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml"):
        if not candidate.is_file():
            raise UserError(f"suite file {candidate} does not exist")
        return candidate
    shipped = SUITES_DIR / f"{name_or_path}.yaml"
    if not shipped.is_file():
        names = ", ".join(sorted(p.stem for p in SUITES_DIR.glob("*.yaml")))
        raise UserError(f"unknown suite {str(name_or_path)!r}; accepted: {names}, or a path to a .yaml file")
    return shipped


def load_suite(name_or_path: str | pathlib.Path, schema: Mapping[str, Mapping[str, str]]) -> Suite:
    """The suite, validated against the schema; parsed once per process per file version (every env
    of a process shares it, so treat `data` as read-only)."""
    path = suite_path(name_or_path)
    return _load_suite(str(path.resolve()), path.stat().st_mtime_ns, json.dumps(schema, sort_keys=True))


@functools.lru_cache(maxsize=16)
def _load_suite(resolved: str, mtime_ns: int, schema_json: str) -> Suite:
    del mtime_ns  # part of the cache key: an edited file is read again
    path, schema = pathlib.Path(resolved), json.loads(schema_json)
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise UserError(f"{path.name}:{where} is not valid YAML ({getattr(exc, 'problem', exc)})") from None
    _validate(path.name, data, schema)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return Suite(data["name"], path, data, hashlib.sha256(canonical.encode()).hexdigest()[:16])


def _validate(fname: str, data: Any, schema: Mapping[str, Mapping[str, str]]) -> None:
    def fail(field: str, problem: str) -> UserError:
        return UserError(f"{fname}: field {field}: {problem}")

    if not isinstance(data, dict):
        raise UserError(f"{fname}: expected a mapping with name, levels and severity at the top")
    for key in ("name", "levels", "severity"):
        if key not in data:
            raise fail(key, "missing")
    levels = data["levels"]
    if not isinstance(levels, dict) or not levels:
        raise fail("levels", "expected a mapping of level name -> factors")
    for level, factors in levels.items():
        if not isinstance(factors, dict):
            raise fail(f"levels.{level}", "expected a mapping of factor -> parameters")
        for factor, params in schema.items():
            if factor not in factors or not isinstance(factors[factor], dict):
                raise fail(f"levels.{level}.{factor}", "missing, or not a mapping")
            for param, kind in params.items():
                where = f"levels.{level}.{factor}.{param}"
                if param not in factors[factor]:
                    raise fail(where, "missing")
                problem = _check(kind, factors[factor][param])
                if problem:
                    raise fail(where, problem)
        extra = set(factors) - set(schema)
        if extra:
            raise fail(f"levels.{level}.{sorted(extra)[0]}", f"unknown factor; accepted: {', '.join(schema)}")
    ladder = data["severity"]
    for end in ("from", "to"):
        if not isinstance(ladder, dict) or ladder.get(end) not in levels:
            raise fail(f"severity.{end}", f"expected one of the levels: {', '.join(levels)}")


def _check(kind: str, value: Any) -> str | None:
    def is_num(x: Any) -> bool:
        return isinstance(x, int | float) and not isinstance(x, bool)

    if kind in (RANGE, INT_RANGE):
        ok = isinstance(value, list) and len(value) == 2 and all(is_num(v) for v in value) and value[0] <= value[1]
        if kind == INT_RANGE:
            ok = ok and all(isinstance(v, int) for v in value)
        return None if ok else f"expected [lo, hi] {'integers' if kind == INT_RANGE else 'numbers'} with lo <= hi, got {value!r}"
    if kind == PROB:
        return None if is_num(value) and 0 <= value <= 1 else f"expected a probability in [0, 1], got {value!r}"
    if kind == NAMES:
        ok = isinstance(value, list) and value and all(isinstance(v, str) for v in value)
        return None if ok else f"expected a non-empty list of names, got {value!r}"
    if kind == SEEDS:
        ok = value == "unseen" or (isinstance(value, list) and value and all(isinstance(v, int) for v in value))
        return None if ok else f"expected a list of integer seeds or 'unseen', got {value!r}"
    raise AssertionError(f"unknown schema kind {kind}")


def lerp(a: Any, b: Any, t: float) -> Any:
    """Linear interpolation of numbers and [lo, hi] ranges; the severity ladder's one rule."""
    if isinstance(a, list):
        return [lerp(x, y, t) for x, y in zip(a, b, strict=True)]
    return a + (b - a) * t
