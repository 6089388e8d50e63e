"""Does the frozen encoder read the road better from frames rendered at its own 224 px than from 96 px ones?

30 demo episodes of the same recipe recorded at 224 px (the first 24 train, every 4th frame; the last 6
held out, every 2nd), encoded twice: as rendered, and resized to 96 px first (antialiased), the way
a 96 px frame reaches the encoder. Writes $PROBE_OUT/feat224_native.pt, feat224_down96.pt and
frames224.npz (for cnn_baseline.py 224)."""

import numpy as np
import torch
import torch.nn.functional as F
from common import OUT, demo_set
from encode import encode

if __name__ == "__main__":
    torch.set_num_threads(1)
    data = demo_set(episodes=30, image_size=224)
    ep = data["episode"]
    train, val = np.flatnonzero(ep < 24)[::4], np.flatnonzero(ep >= 24)[::2]
    idx, n = np.concatenate([train, val]), len(train)
    labels = {k: data[k][idx] for k in ("actions", "state", "phase")}
    images = data["images"][idx]
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez(OUT / "frames224.npz", images=images, n_train=n, **labels)
    down = F.interpolate(torch.as_tensor(images).permute(0, 3, 1, 2).float(), size=(96, 96), mode="bilinear",
                         antialias=True, align_corners=False).round().clamp(0, 255).to(torch.uint8)
    for name, frames in (("native", images), ("down96", down.permute(0, 2, 3, 1).numpy())):
        torch.save({"blocks": encode(frames, "crop"), "n_train": n, **labels}, OUT / f"feat224_{name}.pt")
