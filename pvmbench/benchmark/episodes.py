"""Which episodes a run evaluates, and the seed of each.

An episode's seed depends only on (run seed, level, episode index), so the same episode gets
the same scenario, frames and score whatever the batch size, worker count or executor.
"""

from __future__ import annotations

import dataclasses
import hashlib


@dataclasses.dataclass(frozen=True, order=True)
class EpisodeSpec:
    level: str
    index: int
    seed: int

    @property
    def key(self) -> tuple[str, int]:
        return (self.level, self.index)


def episode_seed(run_seed: int, level: str, index: int) -> int:
    digest = hashlib.sha256(f"pvmbench:{run_seed}:{level}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def plan_episodes(levels: list[str], episodes: int, run_seed: int) -> list[EpisodeSpec]:
    return [EpisodeSpec(level, i, episode_seed(run_seed, level, i)) for level in levels for i in range(episodes)]
