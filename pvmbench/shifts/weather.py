"""CARLA-style weather: validation, the preset ladder, and the driving scenario sampler.

The six knobs are CARLA's WeatherParameters. A scenario carries concrete values; the embedded
highway renders them, and the CARLA backend hands them to `carla.WeatherParameters` unchanged.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from pvmbench.errors import UserError
from pvmbench.shifts.spec import TRAIN_LEVEL, ShiftSpec
from pvmbench.shifts.suite import NAMES, Suite, load_suite

KNOBS = {  # name -> accepted range, as CARLA documents them
    "cloudiness": (0.0, 100.0),
    "precipitation": (0.0, 100.0),
    "precipitation_deposits": (0.0, 100.0),
    "fog_density": (0.0, 100.0),
    "sun_altitude_angle": (-90.0, 90.0),
    "wind_intensity": (0.0, 100.0),
}
DRIVING_SCHEMA = {"weather": {"presets": NAMES}}


def validate_weather(weather: dict[str, Any], where: str = "weather") -> dict[str, float]:
    """Concrete values for all six knobs, each in range; anything else is a one-line UserError."""
    if not isinstance(weather, dict):
        raise UserError(f"{where}: expected a mapping of {', '.join(KNOBS)}")
    unknown = sorted(set(weather) - set(KNOBS))
    if unknown:
        raise UserError(f"{where}.{unknown[0]}: unknown weather parameter; accepted: {', '.join(KNOBS)}")
    out = {}
    for name, (lo, hi) in KNOBS.items():
        if name not in weather:
            raise UserError(f"{where}.{name}: missing; accepted range [{lo:g}, {hi:g}]")
        value = weather[name]
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            raise UserError(f"{where}.{name}={value!r}: out of range; accepted: a number in [{lo:g}, {hi:g}]")
        out[name] = float(value)
    return out


def load_driving_suite(name: str = "driving-v1") -> Suite:
    suite = load_suite(name, DRIVING_SCHEMA)
    fname, data = suite.path.name, suite.data
    presets = data.get("presets")
    if not isinstance(presets, dict) or not presets:
        raise UserError(f"{fname}: field presets: expected a mapping of preset name -> weather")
    for preset, values in presets.items():
        ranges = {k: v for k, v in (values or {}).items() if isinstance(v, list)}
        for knob, bounds in ranges.items():
            if len(bounds) != 2 or bounds[0] > bounds[1]:
                raise UserError(f"{fname}: field presets.{preset}.{knob}: expected [lo, hi] with lo <= hi")
        # A range preset is valid when both of its ends are.
        for end in (0, 1):
            validate_weather({k: (v[end] if isinstance(v, list) else v) for k, v in (values or {}).items()},
                             f"{fname}: field presets.{preset}")
    for level, factors in data["levels"].items():
        for preset in factors["weather"]["presets"]:
            if preset not in presets:
                raise UserError(f"{fname}: field levels.{level}.weather.presets: unknown preset {preset!r}; "
                                f"accepted: {', '.join(presets)}")
    ladder = data.get("ladder")
    if not isinstance(ladder, list) or len(ladder) < 2 or any(p not in presets for p in ladder):
        raise UserError(f"{fname}: field ladder: expected a list of at least two preset names")
    _check_knob_factors(fname, data.get("factors"))
    return suite


def _check_knob_factors(fname: str, factors: Any) -> None:
    """`factors:` (optional) groups the six knobs into named factors, each knob in exactly one."""
    if factors is None:
        return
    if not isinstance(factors, dict) or not factors:
        raise UserError(f"{fname}: field factors: expected a mapping of factor name -> list of weather knobs")
    seen: list[str] = []
    for name, knobs in factors.items():
        if not isinstance(knobs, list) or not knobs or any(k not in KNOBS for k in knobs):
            raise UserError(f"{fname}: field factors.{name}: expected a list of knobs from {', '.join(KNOBS)}")
        seen += knobs
    if sorted(seen) != sorted(KNOBS):
        raise UserError(f"{fname}: field factors: every knob must belong to exactly one factor; "
                        f"accepted knobs: {', '.join(KNOBS)}")


def knob_factors(suite: Suite) -> dict[str, list[str]]:
    """Factor name -> the knobs it moves; a suite without `factors:` has one factor, `weather`, moving all."""
    return dict(suite.data.get("factors") or {"weather": list(KNOBS)})


def preset_weather(suite: Suite, name: str) -> dict[str, float]:
    presets = suite.data["presets"]
    if name not in presets:
        raise UserError(f"unknown weather preset {name!r}; accepted: {', '.join(presets)}")
    if any(isinstance(v, list) for v in presets[name].values()):
        raise UserError(f"preset {name!r} is a range (training drift); draw from it with shift='{TRAIN_LEVEL}'")
    return validate_weather(presets[name], f"preset {name}")


def ladder_weather(suite: Suite, severity: float) -> dict[str, float]:
    rungs = [preset_weather(suite, p) for p in suite.data["ladder"]]
    position = severity * (len(rungs) - 1)
    i = min(int(position), len(rungs) - 2)
    t = position - i
    return {k: rungs[i][k] + (rungs[i + 1][k] - rungs[i][k]) * t for k in KNOBS}


class DrivingShift:
    """Draws driving scenarios: weather from the level's presets (or the ladder), traffic from the seed."""

    def __init__(self, shift: str | ShiftSpec = "id", suite: str | Suite = "driving-v1"):
        self.suite = suite if isinstance(suite, Suite) else load_driving_suite(suite)
        self.spec = self.suite.parse(shift)
        if self.spec.preset is not None:
            preset_weather(self.suite, self.spec.preset)  # a range preset (training drift) is refused here
        self.shift_label = self.spec.label

    def sample(self, seed: int) -> dict[str, Any]:
        seed = int(seed)
        rng = np.random.default_rng([seed, zlib.crc32(b"weather")])
        u = rng.random(8)
        if self.spec.preset is not None:
            preset, weather = self.spec.preset, preset_weather(self.suite, self.spec.preset)
        elif self.spec.level is not None:
            names = self.suite.data["levels"][self.spec.level]["weather"]["presets"]
            preset = names[int(u[0] * len(names))]
            values = self.suite.data["presets"][preset]
            weather = {k: (v[0] + u[1 + i] * (v[1] - v[0]) if isinstance(v, list) else v)
                       for i, (k, v) in enumerate((k, values[k]) for k in KNOBS)}
        else:
            preset, weather = None, self._ladder_weather()
        traffic = self.suite.data.get("traffic", {})
        return {
            "suite": self.suite.name,
            "suite_hash": self.suite.content_hash,
            "shift": self.shift_label,
            "seed": seed,
            "preset": preset,
            "weather": validate_weather({k: float(v) for k, v in weather.items()}),
            "traffic": self._traffic(traffic, seed),
        }

    def _ladder_weather(self) -> dict[str, float]:
        """The ladder at the spec's position for the knobs of the factors it moves; the others at the
        ladder's start (id). Moving every factor is the plain ladder."""
        moved = ([self.spec.factor] if self.spec.factor is not None else self.spec.moved_factors) or None
        top = ladder_weather(self.suite, float(self.spec.position))
        if moved is None:
            return top
        start = ladder_weather(self.suite, 0.0)
        knobs = {k for name in moved for k in knob_factors(self.suite)[name]}
        return {k: (top[k] if k in knobs else start[k]) for k in KNOBS}

    @staticmethod
    def _traffic(traffic: dict, seed: int) -> dict[str, int]:
        out = {"vehicles": int(traffic.get("vehicles", 40)), "lanes": int(traffic.get("lanes", 4)),
               "seed": int(np.random.default_rng([seed, zlib.crc32(b"traffic")]).integers(2**31 - 1))}
        if traffic.get("stalled"):  # only where a suite has them, so driving-v1 scenarios stay as published
            out["stalled"] = int(traffic["stalled"])
        return out
