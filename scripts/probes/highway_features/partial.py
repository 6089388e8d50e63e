"""Partial's recipe on the probe's frames: EfficientNet-Lite0's last 4 MBConv blocks (12-15, at 3e-5) and
the head (3e-4) trained, 1500 steps x 32, from block 10's stored output (block 11 frozen, run once).

    python partial.py $PROBE_OUT/feat_crop.pt"""

import sys
import time

import numpy as np
import torch
from common import head, report
from torch import nn

from pvmbench.agents.encoders.efficientnet import EfficientNetLite0Encoder

if __name__ == "__main__":
    torch.set_num_threads(1)
    torch.manual_seed(0)
    stored = torch.load(sys.argv[1], weights_only=False)
    n = stored["n_train"]
    A, S = torch.as_tensor(stored["actions"]), torch.as_tensor(stored["state"])
    S = (S - S[:n].mean(0)) / S[:n].std(0)
    model = EfficientNetLite0Encoder("partial", features="map").model.eval()
    block10 = stored["blocks"][10]
    with torch.no_grad():
        X = torch.cat([model._blocks[11](block10[i:i + 256].float(), drop_connect_rate=0).half()
                       for i in range(0, len(block10), 256)])
    tail = nn.ModuleList(model._blocks[12:]).train()
    norm, state_mlp, mlp = head(320 * 7 * 7)
    steps = 1500
    opt = torch.optim.AdamW([{"params": tail.parameters(), "lr": 3e-5},
                             {"params": [*norm.parameters(), *state_mlp.parameters(), *mlp.parameters()],
                              "lr": 3e-4}], weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)

    def predict(ix):
        x = X[ix].float()
        for block in tail:
            x = block(x, drop_connect_rate=0)
        return mlp(torch.cat([norm(x.flatten(1)), state_mlp(S[ix])], 1))

    g = torch.Generator().manual_seed(0)
    start = time.time()
    for step in range(steps):
        ix = torch.randint(0, n, (32,), generator=g)
        loss = ((predict(ix) - A[ix]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 250 == 0:
            print(f"step {step}: train loss {loss.item():.4f} ({time.time() - start:.0f}s)", flush=True)
    tail.eval()
    with torch.no_grad():
        errors = torch.cat([(predict(torch.arange(i, min(i + 128, len(A)))) - A[i:i + 128]) ** 2
                            for i in range(n, len(A), 128)])
    report("partial: blocks 12-15 + head", errors, np.asarray(stored["phase"])[n:], time.time() - start)
