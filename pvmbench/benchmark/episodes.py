"""Which episodes a run evaluates, and the seed of each.

An episode's seed depends only on (run seed, episode index), so the same episode gets the same scenario,
frames and score whatever the batch size, worker count or executor. Every level, severity and factor of a
run draws from the one `id` stream (common random numbers): episode i has the same seed everywhere, so its
object pose, start state and traffic are the same at `id` and `hard` and only the shifted factors differ
(the samplers keep a seed's draws along the ladder). A drop is then a paired comparison over episode
seeds, and its CI loses the variance the two levels share.
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
    """The one stream every level draws from. It is the `id` stream of the earlier per-level scheme, so
    `id` rows kept their seeds when the levels were paired."""
    return LEVELS[0]
