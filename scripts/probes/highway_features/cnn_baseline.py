"""The reference the frozen layers are held to: BCPolicy with the scratch cnn (64 px) on the same frames,
3000 steps x 64, AdamW 3e-4, cosine.

    python cnn_baseline.py 96     # the probe's subsample of the 96 px demo set
    python cnn_baseline.py 224    # the 224 px set that native224.py saved"""

import sys
import time

import numpy as np
import torch
from common import OUT, demo_set, report, subsample

from pvmbench.agents.bc.policy import BCPolicy
from pvmbench.agents.encoders.cnn import CNNEncoder

if __name__ == "__main__":
    torch.set_num_threads(1)
    torch.manual_seed(0)
    if sys.argv[1] == "96":
        data = demo_set()
        idx, n = subsample(data)
        frames = {k: data[k][idx] for k in ("images", "actions", "state", "phase")}
    else:
        frames = dict(np.load(OUT / "frames224.npz"))
        n = int(frames.pop("n_train"))
    images, A, S = (torch.as_tensor(frames[k]) for k in ("images", "actions", "state"))
    policy = BCPolicy(CNNEncoder("scratch", 64), 2, state_dim=1)
    policy.state_norm.fit(S[:n])
    steps = 3000
    opt = torch.optim.AdamW(policy.parameters(), 3e-4, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    g = torch.Generator().manual_seed(0)
    start = time.time()
    for _ in range(steps):
        ix = torch.randint(0, n, (64,), generator=g)
        loss = ((policy(images[ix], S[ix]) - A[ix]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    policy.eval()
    with torch.no_grad():
        errors = torch.cat([(policy(images[i:i + 256], S[i:i + 256]) - A[i:i + 256]) ** 2
                            for i in range(n, len(A), 256)])
    report(f"cnn scratch 64 px ({sys.argv[1]} px set)", errors, frames["phase"][n:], time.time() - start)
