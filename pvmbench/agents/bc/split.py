"""The held-out demonstration split: whole episodes, never frames of one episode on both sides.

Neighbouring frames of an episode are near copies, so a frame-level split would measure memorisation.
The held-out episodes are drawn from the demo seed, not the training seed: every training seed and
every encoder of one demo set is judged on the same episodes.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from pvmbench.seeding import episode_seed


@dataclasses.dataclass(frozen=True)
class EpisodeSplit:
    train: np.ndarray  # frame indices
    val: np.ndarray  # frame indices, none of them from a train episode
    val_episodes: tuple[int, ...]


def split_by_episode(episode: np.ndarray, fraction: float, demo_seed: int) -> EpisodeSplit:
    """`fraction` of the episodes (at least one if fraction > 0, never all of them) held out."""
    episode = np.asarray(episode)
    ids = np.unique(episode)
    count = min(len(ids) - 1, max(1, round(fraction * len(ids)))) if fraction > 0 else 0
    rng = np.random.default_rng(episode_seed(demo_seed, "bc-val-split", 0))
    held = np.sort(rng.permutation(ids)[:count]) if count > 0 else np.array([], dtype=ids.dtype)
    is_val = np.isin(episode, held)
    return EpisodeSplit(np.flatnonzero(~is_val), np.flatnonzero(is_val), tuple(int(e) for e in held))
