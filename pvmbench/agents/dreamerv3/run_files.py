"""The files a DreamerV3 run keeps next to its checkpoint, and how `--resume` reads them back.

For `--out runs/agent.pt`:
  runs/agent.pt           the v1 pvmbench checkpoint (`pvmbench eval` / `inspect` read only this)
  runs/agent.replay/      the replay buffer (replay.py)
  runs/agent.trainer.pt   optimiser state, counters, RNG states and the learning-curve rows
  runs/agent.curve.csv    the learning curve: env_steps, wall_s, train losses, eval score and 95% CI
All three are written at every save, replay first and checkpoint last; each records its env step count,
and a resume refuses files from different saves.
"""

from __future__ import annotations

import csv
import os
import pathlib

import torch

from pvmbench.errors import UserError

CURVE_COLUMNS = ("env_steps", "updates", "wall_s", "loss", "image", "state", "reward", "continue", "dyn", "rep",
                 "policy", "value", "repval", "entropy", "train_return", "eval_episodes", "eval_return",
                 "eval_score", "eval_score_ci_low", "eval_score_ci_high")


class RunFiles:
    def __init__(self, out: pathlib.Path):
        self.checkpoint = pathlib.Path(out)
        base = self.checkpoint.with_suffix("") if self.checkpoint.suffix else self.checkpoint
        self.replay = base.with_name(base.name + ".replay")
        self.trainer = base.with_name(base.name + ".trainer.pt")
        self.curve = base.with_name(base.name + ".curve.csv")

    def check_writable(self) -> None:
        folder = self.checkpoint.parent
        if not folder.is_dir():
            raise UserError(f"--out {self.checkpoint}: folder {folder} does not exist")
        if not os.access(folder, os.W_OK):
            raise UserError(f"--out {self.checkpoint}: folder {folder} is not writable")

    def check_resumable(self) -> None:
        missing = [str(p) for p in (self.checkpoint, self.trainer, self.replay / "meta.json") if not p.exists()]
        if missing:
            raise UserError(f"--resume: {', '.join(missing)} not found; run once without --resume first")

    def save_trainer(self, state: dict) -> None:
        tmp = self.trainer.with_name(self.trainer.name + ".tmp")
        torch.save(state, tmp)
        os.replace(tmp, self.trainer)

    def load_trainer(self) -> dict:
        try:
            return torch.load(self.trainer, map_location="cpu", weights_only=True)
        except Exception as exc:  # torch raises assorted errors for damaged files; any means "cannot resume"
            raise UserError(f"{self.trainer}: unreadable trainer state ({type(exc).__name__}); cannot resume") from None

    def write_curve(self, rows: list[dict]) -> None:
        tmp = self.curve.with_name(self.curve.name + ".tmp")
        with open(tmp, "w", newline="") as f:
            writer = csv.DictWriter(f, CURVE_COLUMNS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        os.replace(tmp, self.curve)
