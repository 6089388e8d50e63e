"""Frozen outputs kept on disk, so that the seeds of one recipe encode their shared demos once, and a rerun
of one seed (more steps, other DAgger rounds) does not encode its shifted copies again.

Every training seed of a recipe trains on the same demo frames (the split depends on the demo seed, not the
training seed). Where the cache holds the frames unshifted (no DrQ shift, as on driving, and always for
held-out frames) the frozen encoder's output for them does not depend on the training seed either, so the
first seed's pass over ~50k frames (about 40 min for EfficientNet at 224 px on one core) can serve the rest.

Shifted copies (the table-top's DrQ pool) depend on the training seed's draws, so their key also holds the
shifts: they serve the same seed again, never another. A file holds copies x frames x the frozen output,
in float32 (GBs for a few hundred table-top demos through EfficientNet); delete the folder to reclaim it.

A file is keyed by the frames' own bytes and everything that changes what the frozen part computes or how
its floats round: the encoder's identity (weights' sha256), mode and options, which part is cached, the
batch size, the torch version, thread count and device. A hit is bit-identical to recomputing, so a seed
trains the same whether or not an earlier seed left the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib

import torch

FORMAT = "bc-frozen-v1"


def store_dir() -> pathlib.Path:
    return pathlib.Path(os.environ.get("PVMBENCH_CACHE", pathlib.Path.home() / ".cache" / "pvmbench")) / "frozen"


def store_key(images: torch.Tensor, identity: dict, batch: int, shifts: torch.Tensor | None = None) -> str:
    """`shifts`: the (copies, frames, 2) DrQ offsets of shifted copies, which the training seed draws; None
    for unshifted frames, whose outputs every seed shares."""
    digest = hashlib.sha256()
    frames = images.detach().cpu().contiguous()
    digest.update(json.dumps([FORMAT, list(frames.shape), str(frames.dtype), identity, batch, torch.__version__,
                              torch.get_num_threads(), str(images.device)], sort_keys=True, default=str).encode())
    digest.update(frames.numpy())  # the buffer itself: no second copy of ~1 GB of frames
    if shifts is not None:
        offsets = shifts.detach().cpu().contiguous()
        digest.update(json.dumps(["shifts", list(offsets.shape), str(offsets.dtype)]).encode())
        digest.update(offsets.numpy())
    return digest.hexdigest()[:24]


def load(key: str) -> torch.Tensor | None:
    path = store_dir() / f"{key}.pt"
    if not path.exists():
        return None
    return torch.load(path, map_location="cpu", weights_only=True)


def save(key: str, values: torch.Tensor) -> pathlib.Path:
    path = store_dir() / f"{key}.pt"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    torch.save(values.detach().cpu(), tmp)
    os.replace(tmp, path)  # a killed writer leaves a .tmp, never a truncated file under the key
    return path
