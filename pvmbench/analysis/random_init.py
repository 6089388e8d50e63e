"""A random-init copy of an encoder: the floor that "what pretraining gave" is measured against.

Every parameter is redrawn: modules with reset_parameters() (convs, linears, norms) use PyTorch's
default initialisation, and any other parameter (ViT CLS token, position embeddings, layer scales)
is drawn from N(0, 0.02^2), the ViT convention. BatchNorm running statistics are then re-estimated on
the images the encoder will see (no labels involved): with the default statistics (mean 0, variance
1) in eval mode, activations of a deep random network shrink layer by layer (EfficientNet-Lite0's
features come out about 1e-8), a degenerate floor rather than a fair one.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from pvmbench.agents.encoders import Encoder


def random_init_copy(encoder: Encoder, images: np.ndarray, seed: int = 0, batch: int = 32) -> Encoder:
    """A copy of `encoder` with random weights, BatchNorm statistics fitted to `images`; eval mode."""
    out = copy.deepcopy(encoder)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        covered = set()
        for module in out.modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
                covered |= {id(p) for p in module.parameters(recurse=False)}
        with torch.no_grad():
            for p in out.parameters():
                if id(p) not in covered:
                    p.normal_(0.0, 0.02)
    _refit_batchnorm(out, images, batch)
    return out.eval()


@torch.no_grad()
def _refit_batchnorm(encoder: Encoder, images: np.ndarray, batch: int) -> None:
    norms = [m for m in encoder.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # a cumulative average over all batches, not an exponential one
        m.train()  # only the norms: Encoder.train() keeps a frozen encoder in eval mode
    for i in range(0, len(images), batch):
        encoder.features(encoder.preprocess(torch.as_tensor(np.ascontiguousarray(images[i:i + batch]))))
    for m in norms:
        m.eval()
