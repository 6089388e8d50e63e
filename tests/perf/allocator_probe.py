"""BCAgent.act images/s under glibc's default allocator and with pvmbench.allocator's settings.

Each setting needs a fresh process (the allocator state is per process), so this is a script:
    for m in default keep mmap32; do .venv/bin/python tests/perf/allocator_probe.py $m; done
"default": glibc as it starts; "keep": keep_freed_memory() (what the CLI does); "mmap32": only the
mmap threshold, at glibc's documented 32 MiB cap, with the trim threshold left alone.
"""

from __future__ import annotations

import ctypes
import pathlib
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
CASES = (("bc_tabletop_v1_efficientnet-lite0_partial_seed0", 32), ("bc_tabletop_v1_efficientnet-lite0_partial_seed0", 2),
         ("bc_tabletop_v1_cnn_scratch_seed0", 32))


def main(mode: str) -> None:
    if mode == "keep":
        from pvmbench.allocator import keep_freed_memory

        assert keep_freed_memory()
    elif mode == "mmap32":
        assert ctypes.CDLL("libc.so.6").mallopt(-3, 32 * 1024 * 1024) == 1
    elif mode != "default":
        raise SystemExit(f"mode {mode!r}: accepted: default, keep, mmap32")
    import torch

    from pvmbench.agents.bc.agent import BCAgent
    from pvmbench.agents.checkpoint import load_checkpoint

    torch.set_num_threads(1)
    for name, batch in CASES:
        agent = BCAgent(load_checkpoint(ROOT / "checkpoints" / f"{name}.pt"), None, None, batch)
        rng = np.random.default_rng(0)
        # TableTopPick-v1 policies read the robot state beside the image.
        obs = {"image": rng.integers(0, 255, (batch, 96, 96, 3), dtype=np.uint8),
               "state": rng.standard_normal((batch, agent.policy.state_dim)).astype(np.float32)}
        agent.act(obs)
        start, calls = time.perf_counter(), 0
        while time.perf_counter() - start < 4:
            agent.act(obs)
            calls += 1
        print(f"{mode:8s} {name} batch {batch}: {calls * batch / (time.perf_counter() - start):.1f} images/s")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "default")
