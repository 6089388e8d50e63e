"""Named, batching-independent seeds: the seed of item i of a stream depends only on (run seed, stream, i).

The harness names a stream per level, so an episode's scenario, frames and score do not depend on the
batch size, the worker count or the executor; demonstration sets name their own streams.
"""

from __future__ import annotations

import hashlib


def episode_seed(run_seed: int, stream: str, index: int) -> int:
    digest = hashlib.sha256(f"pvmbench:{run_seed}:{stream}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF
