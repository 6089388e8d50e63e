"""Train BCPolicy's head (3000 steps x 64, AdamW 3e-4, cosine) on stored block outputs; report held-out MSE.

    python heads.py $PROBE_OUT/feat_crop.pt

Per block: the head on a 1x1 conv to 32 channels, and for block 15 also on the flattened map as the
`features=map` BC policy reads it. The first line is the floor: predicting the training frames' mean action."""

import sys
import time

import numpy as np
import torch
from common import head, report
from torch import nn


def train_and_score(stored: dict, X: torch.Tensor, reduce: int | None, steps: int = 3000) -> torch.Tensor:
    torch.manual_seed(0)
    n = stored["n_train"]
    A, S = torch.as_tensor(stored["actions"]), torch.as_tensor(stored["state"])
    S = (S - S[:n].mean(0)) / S[:n].std(0)
    pre = nn.Flatten() if reduce is None else nn.Sequential(nn.Conv2d(X.shape[1], reduce, 1), nn.SiLU(), nn.Flatten())
    dim = X[0].numel() if reduce is None else reduce * X.shape[2] * X.shape[3]
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
        for reduce in ((None, 32) if block == 15 else (32,)):
            start = time.time()
            errors = train_and_score(stored, X, reduce)
            report(f"block {block} {'flat' if reduce is None else '1x1->32'}", errors, phase, time.time() - start)
