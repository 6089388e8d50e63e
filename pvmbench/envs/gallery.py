"""Shift galleries: first frames of an env, a row per shift (level, severity or preset) and a column per seed."""

from __future__ import annotations

import pathlib

import numpy as np
from PIL import Image, ImageDraw

from pvmbench.envs.contract import env_contract
from pvmbench.errors import UserError
from pvmbench.shifts.spec import ShiftSpec

LABEL_WIDTH = 110


def first_frames(env_id: str, shifts: list[ShiftSpec], seeds: int, image_size: int,
                 **make_kwargs) -> list[list[np.ndarray]]:
    """first_frames[row][col]: the frame `reset(seed=col)` returns under shift `shifts[row]`."""
    import gymnasium as gym

    rows = []
    for shift in shifts:
        env = gym.make(env_id, shift=shift, image_size=image_size, **make_kwargs)
        try:
            rows.append([env.reset(seed=seed)[0]["image"] for seed in range(seeds)])
        finally:
            env.close()
    return rows


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


def gallery_shifts(env_id: str, text: str, **make_kwargs) -> list[ShiftSpec]:
    """The shifts a `--shift`-style text names for this env's suite ('id,easy,hard', 'severity=0,0.5,1',
    'presets', ...), parsed once."""
    return env_contract(env_id, make_kwargs).suite.parse_many(text)


def write_gallery(env_id: str, out: pathlib.Path, seeds: int, shifts: list[ShiftSpec], image_size: int,
                  **make_kwargs) -> pathlib.Path:
    if seeds < 1:
        raise UserError(f"--seeds {seeds}: accepted: an integer >= 1")
    if out.suffix.lower() != ".png":
        raise UserError(f"--out {out}: accepted: a path ending in .png")
    rows = first_frames(env_id, shifts, seeds, image_size, **make_kwargs)
    title = f"{env_id}: first frames; rows: shift, columns: seed"
    out.parent.mkdir(parents=True, exist_ok=True)
    compose(rows, [s.label for s in shifts], title).save(out)
    return out
