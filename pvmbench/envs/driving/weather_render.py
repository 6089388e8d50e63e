"""Weather made visible: CARLA's six knobs mapped onto the MuJoCo scene and the image, in place.

fog_density             GL fog on the renderer's context (start/end distance and colour)
sun_altitude_angle      sun direction, colour (orange at dusk) and strength; below 0 it is night:
                        car head/tail lights, ego headlights and street lamps switch on
cloudiness              sky colour and ambient light (flatter, greyer)
precipitation           rain streaks drawn into the image
precipitation_deposits  darker, glossier road with puddles
wind_intensity          the slant of the rain streaks
Nothing is recompiled; fog is set on the renderer's GL state (OffscreenRenderer.set_fog).
"""

from __future__ import annotations

import math

import numpy as np

from pvmbench.envs.driving.scene import HighwayModel, road_texture

SUN_AZIMUTH = math.radians(200.0)  # low sun ahead-left of the car: dusk shows in front of it


def daylight(altitude: float) -> float:
    """0 at night, rising to 1 as the sun climbs; dusk is the short stretch just above 0."""
    return float(np.clip(1.2 * math.sin(math.radians(max(altitude, 0.0))) ** 0.35, 0.0, 1.0))


def sky_colour(w: dict) -> np.ndarray:
    day = daylight(w["sun_altitude_angle"])
    cloud = w["cloudiness"] / 100
    clear = np.array([0.45, 0.65, 0.95])
    grey = np.array([0.68, 0.70, 0.73])
    dusk = np.array([0.95, 0.55, 0.3])
    colour = clear * (1 - cloud) + grey * cloud
    dusk_weight = float(np.clip(1 - w["sun_altitude_angle"] / 25, 0, 1)) * (1 - 0.7 * cloud) if day > 0 else 0.0
    colour = colour * (1 - dusk_weight) + dusk * dusk_weight
    night = np.array([0.015, 0.02, 0.04])
    return night + (colour - night) * day


def apply_weather(hm: HighwayModel, w: dict, seed: int) -> np.ndarray:
    """Write the weather into the model; returns the new road texture (the caller uploads it)."""
    m = hm.model
    altitude, cloud = w["sun_altitude_angle"], w["cloudiness"] / 100
    day = daylight(altitude)
    a = math.radians(max(altitude, 2.0))
    m.light_dir[hm.sun] = (-math.cos(a) * math.cos(SUN_AZIMUTH), -math.cos(a) * math.sin(SUN_AZIMUTH), -math.sin(a))
    warm = float(np.clip(1 - altitude / 30, 0, 1))
    tint = np.array([1.0, 1.0 - 0.3 * warm, 1.0 - 0.55 * warm])
    m.light_diffuse[hm.sun] = tint * day * (0.85 - 0.55 * cloud)
    m.light_active[hm.sun] = day > 0
    m.vis.headlight.ambient[:] = 0.03 + day * (0.3 + 0.25 * cloud)
    sky = sky_colour(w)
    m.mat_rgba[hm.materials["sky"], :3] = sky
    night = day < 0.25
    m.light_active[hm.headlights] = night
    m.light_active[hm.lamp_lights] = altitude < 0
    lamps_on = 1.0 if altitude < 0 else 0.1
    m.mat_emission[hm.materials["lamphead"]] = lamps_on
    m.mat_emission[hm.materials["headlamp"]] = 1.0 if night else 0.15
    m.mat_emission[hm.materials["taillamp"]] = 1.0 if night else 0.15
    wet = w["precipitation_deposits"] / 100
    m.mat_specular[hm.road_material] = 0.1 + 0.8 * wet
    m.mat_shininess[hm.road_material] = 0.2 + 0.75 * wet
    return road_texture(hm.lanes, wet, seed)


def fog_settings(w: dict) -> tuple[bool, float, float, np.ndarray]:
    """(on, start, end, rgba): at density 100, cars beyond about 25 m are gone."""
    density = w["fog_density"] / 100
    if density <= 0:
        return False, 0.0, 1.0, np.zeros(4)
    end = 25.0 + 300.0 * (1 - density) ** 2
    colour = 0.55 * sky_colour(w) + 0.45 * (0.08 + 0.62 * daylight(w["sun_altitude_angle"]))
    return True, 0.05 * end, end, np.append(colour, 1.0)




class Rain:
    """Rain streaks and lens drops, drawn into frames; layers are precomputed per episode."""

    LAYERS = 6

    def __init__(self, size: int, precipitation: float, wind: float, seed: int):
        self.alpha: list[np.ndarray] = []
        amount = precipitation / 100
        if amount <= 0:
            return
        rng = np.random.default_rng(seed)
        scale = size / 224
        slant = math.radians(8 + 40 * wind / 100)
        count = int(amount * 1500 * scale**2)
        length = (7 + 9 * amount) * scale
        steps = np.linspace(0, 1, max(3, int(length)))
        for _ in range(self.LAYERS):
            layer = np.zeros((size, size), dtype=np.float32)
            x0, y0 = rng.uniform(0, size, count), rng.uniform(-length, size, count)
            xs = (x0[:, None] + np.sin(slant) * length * steps).astype(int) % size
            ys = np.clip((y0[:, None] + np.cos(slant) * length * steps).astype(int), 0, size - 1)
            layer[ys, xs] = 0.3 + 0.25 * amount
            self.alpha.append(layer)
        # Drops sitting on the lens: soft bright discs that stay put.
        yy, xx = np.mgrid[0:size, 0:size]
        drops = np.zeros((size, size), dtype=np.float32)
        for _ in range(int(3 + 10 * amount)):
            cx, cy, r = rng.uniform(0, size), rng.uniform(0, size), rng.uniform(3, 9) * scale
            drops = np.maximum(drops, 0.35 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r)))
        # Streaks cover a small share of pixels: keep each layer as (pixel index, weight out of
        # 256) so drawing touches only those pixels, in integer arithmetic.
        self.layers = []
        for layer in self.alpha:
            alpha = np.maximum(layer, drops).ravel()
            index = np.flatnonzero(alpha > 0.02)
            self.layers.append((index, (alpha[index] * 256).astype(np.uint16)[:, None]))
        self.alpha = []

    def draw(self, frame: np.ndarray, tick: int) -> np.ndarray:
        """Blends the tick's rain layer into frame (a fresh uint8 HxWx3 array) in place."""
        if not getattr(self, "layers", None):
            return frame
        index, weight = self.layers[tick % self.LAYERS]
        pixels = frame.reshape(-1, 3)
        blended = (pixels[index].astype(np.uint16) * (256 - weight) + 210 * weight) >> 8
        pixels[index] = blended.astype(np.uint8)
        return frame
