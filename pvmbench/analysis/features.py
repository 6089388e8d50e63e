"""Encoder features of a batch of frames, computed in chunks without gradients."""

from __future__ import annotations

import numpy as np
import torch

from pvmbench.agents.encoders import Encoder


@torch.no_grad()
def encode(encoder: Encoder, images: np.ndarray, batch: int = 32) -> np.ndarray:
    """uint8 (N, H, W, 3) -> float32 (N, feature_dim); the encoder does its own preprocessing."""
    encoder.eval()
    chunks = [encoder(torch.as_tensor(np.ascontiguousarray(images[i:i + batch]))).float().numpy()
              for i in range(0, len(images), batch)]
    return np.concatenate(chunks)
