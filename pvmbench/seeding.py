"""Named, batching-independent seeds: the seed of item i of a stream depends only on (run seed, stream, i).

The harness draws every level of a run from one stream (episodes.seed_stream: common random numbers), so
an episode's scenario, frames and score do not depend on the batch size, the worker count or the
executor, and episode i is the same draw at every level; demonstration sets and searches name their own.
"""

from __future__ import annotations

import hashlib


def episode_seed(run_seed: int, stream: str, index: int) -> int:
    digest = hashlib.sha256(f"pvmbench:{run_seed}:{stream}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF
