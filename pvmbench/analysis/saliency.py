"""Where an encoder looks: Grad-CAM for CNN encoders, CLS attention for ViTs, in frame pixels.

Grad-CAM (Selvaraju et al., 2017) weights the last convolutional feature map by the spatial mean
of its gradient and keeps the positive part. Its target here is the L2 norm of the BC policy's
action vector, so the map shows the regions that most change how the policy acts. The last
feature map is the cnn's fourth stage (4 x 4 at its 64 px input) and EfficientNet-Lite0's head
conv (7 x 7 at 224 px).

CLS attention is the last layer's attention from the CLS token to each patch, averaged over heads.

Maps are upsampled back onto the observation: encoders that resize and centre-crop only see the
centre of the frame, and the border they cut off gets zero saliency.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from pvmbench.agents.bc.policy import BCPolicy
from pvmbench.agents.encoders import Encoder
from pvmbench.errors import UserError


def _feature_map(encoder: Encoder, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(last conv map (B, C, h, w), features (B, D)) with the map on the autograd path."""
    if encoder.name == "cnn":
        for stage in encoder.stages:
            x = stage(x)
        return x, x.flatten(1)
    if encoder.name == "efficientnet-lite0":
        fmap = encoder.model.extract_features(x)
        return fmap, fmap.mean(dim=(2, 3))
    raise UserError(f"Grad-CAM supports the cnn and efficientnet-lite0 encoders, not {encoder.name!r}; "
                    "ViTs get CLS attention")


def grad_cam(policy: BCPolicy, images: np.ndarray) -> np.ndarray:
    """float (B, h, w) Grad-CAM of ||action||, in the encoder's input crop, each map scaled to max 1."""
    policy.eval()
    encoder = policy.encoder
    # Frozen encoders have no trainable weights: a leaf input that needs grad keeps the graph alive.
    x = encoder.preprocess(torch.as_tensor(np.ascontiguousarray(images))).requires_grad_(True)
    with torch.enable_grad():
        fmap, feats = _feature_map(encoder, x)
        fmap.retain_grad()
        policy.head_from_features(feats).norm(dim=1).sum().backward()
    weights = fmap.grad.mean(dim=(2, 3), keepdim=True)
    cam = F.relu((weights * fmap).sum(dim=1)).detach()
    return _unit_max(cam.numpy())


@torch.no_grad()
def cls_attention(encoder: Encoder, images: np.ndarray) -> np.ndarray:
    """float (B, g, g) last-layer CLS-to-patch attention, head mean, each map scaled to max 1."""
    if encoder.name not in ("dinov2", "clip"):
        raise UserError(f"CLS attention needs a ViT encoder (dinov2, clip), not {encoder.name!r}")
    model = encoder.model
    # Fused attention kernels do not return weights; eager attention computes the same thing.
    model.set_attn_implementation("eager")
    x = encoder.preprocess(torch.as_tensor(np.ascontiguousarray(images)))
    attn = model(pixel_values=x, output_attentions=True).attentions[-1]  # (B, heads, T, T)
    side = encoder.input_size // model.config.patch_size
    cls = attn[:, :, 0, 1:1 + side * side].mean(dim=1)
    return _unit_max(cls.reshape(-1, side, side).float().numpy())


def _unit_max(maps: np.ndarray) -> np.ndarray:
    peak = maps.reshape(len(maps), -1).max(axis=1).reshape(-1, 1, 1)
    return maps / np.where(peak > 0, peak, 1.0)


def to_frame(maps: np.ndarray, encoder: Encoder, frame_size: int) -> np.ndarray:
    """(B, h, w) maps over the encoder's input -> (B, frame_size, frame_size) over the observation.

    Mirrors resize_crop: the shorter side goes to `encoder.resize`, then a centre crop of
    `encoder.input_size`; encoders without `resize` (the cnn) resize the whole frame, no crop.
    """
    keep = encoder.input_size / getattr(encoder, "resize", encoder.input_size)
    side = round(frame_size * keep)
    inner = F.interpolate(torch.as_tensor(maps, dtype=torch.float32)[:, None], size=(side, side),
                          mode="bilinear", align_corners=False)[:, 0].numpy()
    out = np.zeros((len(maps), frame_size, frame_size), dtype=np.float32)
    top = (frame_size - side) // 2
    out[:, top:top + side, top:top + side] = inner
    return out
