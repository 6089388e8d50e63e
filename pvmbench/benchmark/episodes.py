"""Which episodes a run evaluates, and the seed of each.

An episode's seed depends only on (run seed, stream, episode index), so the same episode gets the same
scenario, frames and score whatever the batch size, worker count or executor. The stream is the level's
label, except for factor levels (`factor=<name>`), which draw from the `id` stream: episode i of a factor
level is episode i of `id` with one factor moved, so a factor's drop is a paired comparison.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from pvmbench.seeding import episode_seed
from pvmbench.shifts.spec import LEVELS, TRAIN_LEVEL, ShiftSpec, parse_shift


@dataclasses.dataclass(frozen=True, order=True)
class EpisodeSpec:
    level: str  # the shift's canonical label: what the results record
    index: int
    seed: int
    shift: ShiftSpec = dataclasses.field(compare=False)

    @property
    def key(self) -> tuple[str, int]:
        return (self.level, self.index)


def plan_episodes(shifts: Sequence[ShiftSpec | str], episodes: int, run_seed: int) -> list[EpisodeSpec]:
    """Every (shift, index) of a run; a string is parsed as one shift form (level or severity)."""
    specs = [s if isinstance(s, ShiftSpec) else parse_shift(s, (*LEVELS, TRAIN_LEVEL)) for s in shifts]
    return [EpisodeSpec(spec.label, i, episode_seed(run_seed, seed_stream(spec), i), spec)
            for spec in specs for i in range(episodes)]


def seed_stream(spec: ShiftSpec) -> str:
    return LEVELS[0] if spec.factor is not None else spec.label
