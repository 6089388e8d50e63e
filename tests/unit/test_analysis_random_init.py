"""The random-init floor: same architecture, every weight redrawn, BatchNorm statistics refitted."""

import numpy as np
import torch
from torch import nn

from pvmbench.agents.encoders import build_encoder
from pvmbench.agents.encoders.base import Encoder
from pvmbench.analysis.features import encode
from pvmbench.analysis.random_init import random_init_copy


def test_every_parameter_is_redrawn_and_the_original_is_untouched():
    torch.manual_seed(0)
    encoder = build_encoder("cnn", "scratch")
    before = {k: v.clone() for k, v in encoder.state_dict().items()}
    images = np.random.default_rng(0).integers(0, 255, size=(4, 64, 64, 3), dtype=np.uint8)
    floor = random_init_copy(encoder, images, seed=1)
    for name, p in floor.named_parameters():
        assert not torch.equal(p, before[name]) or p.numel() == 0 or p.std() == 0, name  # norms reset to 1/0
    assert all(torch.equal(v, before[k]) for k, v in encoder.state_dict().items())
    again = random_init_copy(encoder, images, seed=1)
    assert all(torch.equal(a, b) for a, b in zip(floor.state_dict().values(), again.state_dict().values(), strict=True))


class _DeepBatchNorm(Encoder):
    """Twelve conv + BatchNorm + ReLU6 blocks: deep enough for default statistics to shrink features."""
    name, feature_dim, input_size = "deep", 3, 16

    def __init__(self):
        super().__init__("frozen")
        self.body = nn.Sequential(*[nn.Sequential(nn.Conv2d(3, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU6())
                                    for _ in range(12)])

    def preprocess(self, images):
        return images.permute(0, 3, 1, 2).float() / 255.0

    def features(self, x):
        return self.body(x).mean(dim=(2, 3))

    def blocks(self):
        return list(self.body)

    def identity(self):
        return {"name": self.name}


def test_batchnorm_statistics_are_refitted_so_features_keep_their_scale():
    images = np.random.default_rng(0).integers(0, 255, size=(8, 16, 16, 3), dtype=np.uint8)
    floor = random_init_copy(_DeepBatchNorm().eval(), images)
    last = floor.body[-1][1]
    assert last.num_batches_tracked > 0 and not torch.allclose(last.running_var, torch.ones(3))
    assert not last.training
    feats = encode(floor, images)
    assert np.isfinite(feats).all() and feats.std(axis=0).mean() > 1e-2
