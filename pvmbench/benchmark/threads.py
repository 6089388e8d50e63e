"""The agent's torch thread count, fixed per run rather than left to the machine.

A network's output depends (in the last bits) on how many threads split its reductions: an
EfficientNet's actions moved by 6e-7 between 1 and 2 threads here, enough for a long episode to
diverge. So a run sets the count itself, the same on every machine and whatever --workers is, and
records it in its identity. One thread is the default: with env hosts on the other cores, a
second torch thread mostly waits for a core (on 2 busy cores a CLIP-B/32 forward took 17x longer).
"""

from __future__ import annotations

import sys


def pin_torch_threads(threads: int) -> None:
    # Only if the agent imported torch: a random or scripted agent should not pay for the import.
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
