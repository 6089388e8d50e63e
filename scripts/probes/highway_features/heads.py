"""Train BCPolicy's head (3000 steps x 64, AdamW 3e-4, cosine) on stored block outputs; report held-out MSE.

    python heads.py $PROBE_OUT/feat_crop.pt

Per block: the head on a 1x1 conv to 32 channels; on a trainable conv neck (3x3 conv to 64 channels,
then a stride-2 3x3 conv, each with SiLU; the encoder stays frozen); and for block 15 also on the flattened
map as the `features=map` BC policy reads it. The first line is the floor: predicting the training frames' mean action."""

import sys
import time

import numpy as np
import torch
from common import head, report
from torch import nn


def neck(kind: str | None, channels: int) -> tuple[nn.Module, int]:
    """(the trainable layers between the stored map and the head, how many features they hand on per cell)."""
    if kind is None:
        return nn.Flatten(), channels
    if kind == "1x1":
        return nn.Sequential(nn.Conv2d(channels, 32, 1), nn.SiLU(), nn.Flatten()), 32
    return nn.Sequential(nn.Conv2d(channels, 64, 3, padding=1), nn.SiLU(), nn.Conv2d(64, 64, 3, stride=2, padding=1),
                         nn.SiLU(), nn.Flatten()), 64


def train_and_score(stored: dict, X: torch.Tensor, kind: str | None, steps: int = 3000) -> torch.Tensor:
    torch.manual_seed(0)
    n = stored["n_train"]
    A, S = torch.as_tensor(stored["actions"]), torch.as_tensor(stored["state"])
    S = (S - S[:n].mean(0)) / S[:n].std(0)
    pre, per_cell = neck(kind, X.shape[1])
    side = (X.shape[2] + 1) // 2 if kind == "conv" else X.shape[2]
    dim = per_cell * side * side
    norm, state_mlp, mlp = head(dim)
    params = [p for m in (pre, norm, state_mlp, mlp) for p in m.parameters()]
    opt = torch.optim.AdamW(params, 3e-4, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)

    def predict(ix):
        return mlp(torch.cat([norm(pre(X[ix].float())), state_mlp(S[ix])], 1))

    g = torch.Generator().manual_seed(0)
    for _ in range(steps):
        ix = torch.randint(0, n, (64,), generator=g)
        loss = ((predict(ix) - A[ix]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    with torch.no_grad():
        return torch.cat([(predict(torch.arange(i, min(i + 256, len(A)))) - A[i:i + 256]) ** 2
                          for i in range(n, len(A), 256)])


if __name__ == "__main__":
    torch.set_num_threads(1)
    stored = torch.load(sys.argv[1], weights_only=False)
    n, phase = stored["n_train"], np.asarray(stored["phase"])[stored["n_train"]:]
    A = torch.as_tensor(stored["actions"])
    report("predict-the-mean", (A[n:] - A[:n].mean(0)) ** 2, phase)
    for block in (15, 10):
        X = stored["blocks"][block]
        for kind in ((None, "1x1", "conv") if block == 15 else ("1x1", "conv")):
            start = time.time()
            errors = train_and_score(stored, X, kind)
            report(f"block {block} {kind or 'flat'}", errors, phase, time.time() - start)
