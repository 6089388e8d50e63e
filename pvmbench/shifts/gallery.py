"""Shift galleries: first frames of an env, a row per level (or severity) and a column per seed."""

from __future__ import annotations

import pathlib

import numpy as np
from PIL import Image, ImageDraw

from pvmbench.errors import UserError

LABEL_WIDTH = 110


def first_frames(env_id: str, shifts: list[str], seeds: int, image_size: int, **make_kwargs) -> list[list[np.ndarray]]:
    """first_frames[row][col]: the frame `reset(seed=col)` returns under shift `shifts[row]`."""
    import gymnasium as gym

    import pvmbench.envs  # noqa: F401  (registers the pvmbench/ namespace)

    if env_id not in gym.registry:
        known = ", ".join(sorted(k for k in gym.registry if k.startswith("pvmbench/")))
        raise UserError(f"unknown env {env_id!r}; accepted: {known}")
    rows = []
    for shift in shifts:
        preset = shift[len("preset="):] if shift.startswith("preset=") else None
        env = gym.make(env_id, shift="id" if preset else shift, image_size=image_size, **make_kwargs)
        try:
            rows.append([env.reset(seed=seed, options=_preset_options(env, preset, seed))[0]["image"]
                         for seed in range(seeds)])
        finally:
            env.close()
    return rows


def expand_rows(env_id: str, levels: str) -> list[str]:
    """'id,easy,hard' as given; 'presets' -> one 'preset=<name>' row per rung of the suite's ladder."""
    if levels.strip() != "presets":
        return [s.strip() for s in levels.split(",") if s.strip()]
    import gymnasium as gym

    import pvmbench.envs  # noqa: F401

    env = gym.make(env_id, image_size=64)
    suite = getattr(getattr(env.unwrapped, "shift", None), "suite", None)
    env.close()
    if suite is None or "ladder" not in suite.data:
        raise UserError(f"--levels presets: {env_id} has no weather presets; accepted there: id, easy, hard")
    return [f"preset={name}" for name in suite.data["ladder"]]


def _preset_options(env, preset: str | None, seed: int) -> dict | None:
    """A scenario with the preset's weather and everything else drawn from the seed at id."""
    if preset is None:
        return None
    from pvmbench.shifts.weather import preset_weather

    shift = env.unwrapped.shift
    scenario = shift.sample(seed)
    scenario.update(weather=preset_weather(shift.suite, preset), preset=preset, shift=f"preset={preset}")
    return {"scenario": scenario}


def compose(rows: list[list[np.ndarray]], labels: list[str], title: str) -> Image.Image:
    size = rows[0][0].shape[0]
    pad, header = 4, 36
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    label_width = max([LABEL_WIDTH] + [int(measure.textlength(label)) + 12 for label in labels])
    width = max(label_width + len(rows[0]) * (size + pad), int(measure.textlength(title)) + 2 * pad)
    height = header + len(rows) * (size + pad)
    canvas = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(canvas)
    draw.text((pad, 4), title, fill="black")
    for col in range(len(rows[0])):
        draw.text((label_width + col * (size + pad) + 4, header - 14), f"seed {col}", fill="black")
    for r, (row, label) in enumerate(zip(rows, labels, strict=True)):
        y = header + r * (size + pad)
        draw.text((pad, y + size // 2 - 6), label, fill="black")
        for c, frame in enumerate(row):
            canvas.paste(Image.fromarray(frame), (label_width + c * (size + pad), y))
    return canvas


def write_gallery(
    env_id: str, out: pathlib.Path, seeds: int, shifts: list[str], image_size: int, **make_kwargs
) -> pathlib.Path:
    if seeds < 1:
        raise UserError(f"--seeds {seeds}: accepted: an integer >= 1")
    if out.suffix.lower() != ".png":
        raise UserError(f"--out {out}: accepted: a path ending in .png")
    rows = first_frames(env_id, shifts, seeds, image_size, **make_kwargs)
    title = f"{env_id}: first frames; rows: shift, columns: seed"
    out.parent.mkdir(parents=True, exist_ok=True)
    compose(rows, shifts, title).save(out)
    return out
