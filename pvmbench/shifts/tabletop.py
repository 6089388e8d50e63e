"""The table-top shift sampler: `TableTopShift(...).sample(seed) -> Scenario`, pure and complete.

Each factor draws from its own random stream (seed, factor), a fixed count of numbers, so a
given seed keeps its object, poses and texture seed as severity moves along the ladder: curves
over severity compare like with like.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable
from typing import Any

import numpy as np

from pvmbench.errors import UserError
from pvmbench.shifts.spec import ShiftSpec
from pvmbench.shifts.suite import (
    INT_RANGE,
    NAMES,
    PROB,
    RANGE,
    SEEDS,
    UNSEEN_SEED_BASE,
    Ladder,
    Suite,
    lerp,
    load_suite,
)

Scenario = dict[str, Any]
MAX_DISTRACTORS = 3
OBJECT_SOURCES = ("procedural", "ycb")

TABLETOP_SCHEMA = {
    "objects": {"heldout_prob": PROB},
    "layout": {"ring_prob": PROB, "distractors": INT_RANGE},
    "table_texture": {"families": NAMES, "seeds": SEEDS},
    "object_appearance": {"hue_shift": RANGE, "brightness": RANGE},
    "lighting": {"azimuth_deg": RANGE, "elevation_deg": RANGE, "intensity": RANGE, "ambient": RANGE, "warmth": RANGE},
    "camera": {"position_jitter": RANGE, "rotation_jitter_deg": RANGE},
}


def load_tabletop_suite(name: str = "tabletop-v1") -> Suite:
    suite = load_suite(name, TABLETOP_SCHEMA)
    from pvmbench.shifts.textures import texture_families

    known = set(texture_families())
    for level, factors in suite.data["levels"].items():
        for fam in factors["table_texture"]["families"]:
            if fam not in known:
                raise UserError(
                    f"{suite.path.name}: field levels.{level}.table_texture.families: unknown family {fam!r}; "
                    f"accepted: {', '.join(sorted(known))}"
                )
    for source in OBJECT_SOURCES:
        splits = suite.data.get("objects", {}).get(source)
        if not isinstance(splits, dict) or not all(isinstance(splits.get(k), list) for k in ("id", "heldout")):
            raise UserError(f"{suite.path.name}: field objects.{source}: expected lists 'id' and 'heldout'")
        shared = set(splits["id"]) & set(splits["heldout"])
        if shared:
            raise UserError(f"{suite.path.name}: field objects.{source}: {sorted(shared)[0]} is in both id and heldout")
    return suite


class TableTopShift:
    """Draws table-top scenarios for one suite, shift and object source."""

    def __init__(
        self,
        shift: str | ShiftSpec = "id",
        objects: str = "procedural",
        available: Iterable[str] | None = None,
        suite: str | Suite = "tabletop-v1",
    ):
        if objects not in OBJECT_SOURCES:
            raise UserError(f"objects={objects!r}; accepted: {', '.join(OBJECT_SOURCES)}")
        self.suite = suite if isinstance(suite, Suite) else load_tabletop_suite(suite)
        self.spec = self.suite.parse(shift)
        self.ladder: Ladder = self.suite.ladder(self.spec)
        self.shift_label = self.spec.label
        self.source = objects
        keep = None if available is None else set(available)
        splits = self.suite.data["objects"][objects]
        self.splits = {k: [n for n in splits[k] if keep is None or n in keep] for k in ("id", "heldout")}
        ws = self.suite.data["workspace"]
        self._half, self._centre = float(ws["half_extent"]), float(ws["centre_half_extent"])
        self._distractor_radius, self._goal_lift = ws["distractor_radius"], ws["goal_lift"]

    def _params(self, factor: str) -> tuple[dict, dict, float]:
        return self.ladder.start[factor], self.ladder.end[factor], self.ladder.at(factor)

    def _value(self, factor: str, param: str) -> Any:
        start, end, t = self._params(factor)
        return lerp(start[param], end[param], t)

    def sample(self, seed: int) -> Scenario:
        seed = int(seed)

        def stream(factor: str) -> np.random.Generator:
            return np.random.default_rng([seed, zlib.crc32(factor.encode())])

        target, distractors, split = self._sample_objects(stream("objects"))
        return {
            "suite": self.suite.name,
            "suite_hash": self.suite.content_hash,
            "shift": self.shift_label,
            "seed": seed,
            "objects": {"source": self.source, "split": split, "target": target, "distractors": distractors},
            "layout": self._sample_layout(stream("layout"), len(distractors)),
            "table_texture": self._sample_texture(stream("table_texture")),
            "object_appearance": self._sample_appearance(stream("object_appearance")),
            "lighting": self._sample_lighting(stream("lighting")),
            "camera": self._sample_camera(stream("camera")),
        }

    def _sample_objects(self, rng: np.random.Generator) -> tuple[str, list[str], str]:
        u_split, u_pick, u_count = rng.random(3)
        perm = rng.random(64)
        split = "heldout" if u_split < self._value("objects", "heldout_prob") else "id"
        pool = self.splits[split]
        if not pool:
            raise UserError(f"no {self.source} objects left in split {split!r} of {self.suite.name}")
        target = pool[int(u_pick * len(pool))]
        lo, hi = self._value("layout", "distractors")
        lo, hi = int(round(lo)), int(round(hi))
        count = min(lo + int(u_count * (hi - lo + 1)), MAX_DISTRACTORS, len(pool) - 1)
        others = [n for n in pool if n != target]
        order = np.argsort(perm[: len(others)]) if len(others) <= len(perm) else rng.permutation(len(others))
        return target, [others[i] for i in order[:count]], split

    def _sample_region_xy(self, u: np.ndarray, ring: bool) -> list[float]:
        """u: 8 uniforms. The ring is drawn by choosing a side strip, so no rejection loop is needed."""
        c, h = self._centre, self._half
        if not ring:
            return [float((2 * u[0] - 1) * c), float((2 * u[1] - 1) * c)]
        # The ring (square of half-side h minus the centre square) is two full-width strips,
        # |y| in [c, h], plus two side strips, |x| in [c, h] and |y| <= c, picked by area.
        strip_x_area, strip_y_area = 2 * h * (h - c), 2 * c * (h - c)
        along = (2 * u[1] - 1)
        across = c + u[2] * (h - c)
        sign = 1.0 if u[3] < 0.5 else -1.0
        if u[0] < strip_x_area / (strip_x_area + strip_y_area):
            return [float(along * h), float(sign * across)]
        return [float(sign * across), float(along * c)]

    def _sample_layout(self, rng: np.random.Generator, n_distractors: int) -> dict:
        u = rng.random(32)
        ring = bool(u[0] < self._value("layout", "ring_prob"))
        target_xy = self._sample_region_xy(u[1:5], ring)
        goal_xy = self._sample_region_xy(u[5:9], ring)
        lift = self._goal_lift[0] + u[9] * (self._goal_lift[1] - self._goal_lift[0])
        distractors = []
        r_lo, r_hi = self._distractor_radius
        base_angle = u[10] * 2 * math.pi
        for i in range(n_distractors):
            # Evenly spread angles with jitter keep distractors apart without rejection sampling.
            angle = base_angle + 2 * math.pi * i / max(n_distractors, 1) + (u[11 + i] - 0.5) * 0.8
            radius = r_lo + u[15 + i] * (r_hi - r_lo)
            distractors.append([radius * math.cos(angle), radius * math.sin(angle), u[19 + i] * 2 * math.pi])
        return {
            "region": "ring" if ring else "centre",
            "target": [*target_xy, float(u[23] * 2 * math.pi)],
            "goal": [*goal_xy, float(lift)],
            "distractors": [[float(v) for v in d] for d in distractors],
        }

    def _texture_from(self, params: dict, u: np.ndarray) -> dict:
        families = params["families"]
        family = families[int(u[0] * len(families))]
        seeds = params["seeds"]
        seed = UNSEEN_SEED_BASE + int(u[1] * 1_000_000) if seeds == "unseen" else seeds[int(u[1] * len(seeds))]
        return {"family": family, "seed": int(seed)}

    def _sample_texture(self, rng: np.random.Generator) -> dict:
        u = rng.random(4)
        start, end, t = self._params("table_texture")
        texture = self._texture_from(start, u[:2])
        texture["overlay"] = None
        if t > 0:
            texture["overlay"] = {**self._texture_from(end, u[2:]), "blend": float(t)}
        return texture

    def _uniform(self, factor: str, param: str, u: float) -> float:
        lo, hi = self._value(factor, param)
        return float(lo + u * (hi - lo))

    def _sample_appearance(self, rng: np.random.Generator) -> dict:
        u = rng.random(3)
        sign = 1.0 if u[2] < 0.5 else -1.0
        return {
            "hue_shift": sign * self._uniform("object_appearance", "hue_shift", u[0]),
            "brightness": self._uniform("object_appearance", "brightness", u[1]),
        }

    def _sample_lighting(self, rng: np.random.Generator) -> dict:
        u = rng.random(5)
        names = ("azimuth_deg", "elevation_deg", "intensity", "ambient", "warmth")
        return {n: self._uniform("lighting", n, u[i]) for i, n in enumerate(names)}

    def _sample_camera(self, rng: np.random.Generator) -> dict:
        u = rng.random(2)
        direction = rng.normal(size=3)
        axis = rng.normal(size=3)
        # Not np.linalg.norm: it goes through BLAS, whose kernel (chosen per CPU) changes the last bit, and
        # a scenario must be the same on every machine. A plain sum of squares is.
        direction /= np.sqrt(np.sum(direction * direction))
        axis /= np.sqrt(np.sum(axis * axis))
        shift = self._uniform("camera", "position_jitter", u[0])
        angle = self._uniform("camera", "rotation_jitter_deg", u[1])
        return {
            "position_offset": [float(v) for v in direction * shift],
            "rotation_offset_deg": [float(v) for v in axis * angle],
        }
