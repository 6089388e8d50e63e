"""Scenario weather -> carla.WeatherParameters, the same numbers Highway-v0 renders."""

from __future__ import annotations

from typing import Any

from pvmbench.errors import UserError
from pvmbench.shifts.weather import validate_weather

# The study's presets (RL-ViGen) fix these at 0. Set explicitly, not left to the constructor's
# defaults, so that the preset still means the same if a CARLA release changes those defaults.
# Every other field (fog_falloff, scattering, dust_storm) keeps the constructor's value, as the
# study's `carla.WeatherParameters(...)` presets did.
FIXED = {"fog_distance": 0.0, "wetness": 0.0, "sun_azimuth_angle": 0.0}


def weather_kwargs(weather: dict[str, Any]) -> dict[str, float]:
    """Validated keyword arguments for carla.WeatherParameters; pure, so testable without carla."""
    return {**validate_weather(weather, "scenario.weather"), **FIXED}


def to_weather_parameters(weather: dict[str, Any]):
    kwargs = weather_kwargs(weather)  # validate before touching carla: a bad value is a UserError either way
    carla = import_carla()
    params = carla.WeatherParameters()
    for name, value in kwargs.items():
        setattr(params, name, value)  # attribute by attribute: the constructor's arguments differ by version
    return params


def import_carla():
    try:
        import carla
    except ImportError:
        raise UserError("pvmbench/CarlaHighway-v0 needs the CARLA client: pip install 'pvmbench[carla]'") from None
    return carla
