"""Where an encoder looks, in frame pixels: its own attention if it has one, Grad-CAM otherwise.

The method follows what the encoder offers (pvmbench.agents.encoders.base), not its name:
  cls-attention  encoder.cls_attention: the last layer's attention from the CLS token to each
                 patch, averaged over heads (encoders with attention of their own: ViTs);
  grad-cam       Grad-CAM (Selvaraju et al., 2017) on encoder.spatial_features' map: each channel
                 weighted by the spatial mean of its gradient, summed, positive part kept. The target is
                 a scalar of the output: the L2 norm of a policy's action vector (the regions that most
                 change how it acts), or of the features for an encoder without a policy.
An encoder with neither is refused with a UserError.

Maps are upsampled back onto the observation: encoders that resize and centre-crop only see the
centre of the frame, and the border they cut off gets zero saliency.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch.nn import functional as F

from pvmbench.agents.encoders import Encoder
from pvmbench.errors import UserError

BATCH = 16


def saliency_method(encoder: Encoder) -> str:
    if encoder.has_attention:
        return "cls-attention"
    if encoder.has_spatial_map:
        return "grad-cam"
    raise UserError(f"encoder {encoder.name!r} has neither attention of its own nor a spatial feature map; "
                    "accepted: encoders with cls_attention or spatial_features")


def saliency(encoder: Encoder, images: np.ndarray, target: Callable[..., torch.Tensor] | None = None,
             states: np.ndarray | None = None) -> tuple[np.ndarray, str]:
    """((B, h, w) maps over the encoder's input, each scaled to max 1; the method's name).
    `target` maps features (B, D) to the per-image outputs (B, A) whose L2 norm Grad-CAM explains;
    None: the features themselves. `states` (B, S): each frame's robot state, passed to `target` as
    its second argument, for policies that read it beside the image (TableTopPick-v1)."""
    method = saliency_method(encoder)
    chunks = []
    for i in range(0, len(images), BATCH):
        batch = images[i:i + BATCH]
        chunks.append(cls_attention(encoder, batch) if method == "cls-attention" else
                      grad_cam(encoder, batch, target or (lambda f: f),
                               None if states is None else states[i:i + BATCH]))
    return np.concatenate(chunks), method


def grad_cam(encoder: Encoder, images: np.ndarray, target: Callable[..., torch.Tensor],
             states: np.ndarray | None = None) -> np.ndarray:
    """float (B, h, w) Grad-CAM of ||target(features[, states])|| on the encoder's last spatial map, max 1.
    The state is held fixed: the map says where in the image the output's change comes from."""
    encoder.eval()
    # Frozen encoders have no trainable weights: a leaf input that needs grad keeps the graph alive.
    x = encoder.preprocess(torch.as_tensor(np.ascontiguousarray(images))).requires_grad_(True)
    with torch.enable_grad():
        fmap, feats = encoder.spatial_features(x)
        fmap.retain_grad()
        # Images are independent in eval mode, so one backward of the sum gives each image its gradient.
        out = target(feats) if states is None else target(feats, torch.as_tensor(states, dtype=torch.float32))
        out.norm(dim=1).sum().backward()
    weights = fmap.grad.mean(dim=(2, 3), keepdim=True)
    cam = F.relu((weights * fmap).sum(dim=1)).detach()
    return _unit_max(cam.float().numpy())


@torch.no_grad()
def cls_attention(encoder: Encoder, images: np.ndarray) -> np.ndarray:
    """float (B, g, g) the encoder's CLS-to-patch attention, each map scaled to max 1."""
    encoder.eval()
    x = encoder.preprocess(torch.as_tensor(np.ascontiguousarray(images)))
    return _unit_max(encoder.cls_attention(x).float().numpy())


def _unit_max(maps: np.ndarray) -> np.ndarray:
    peak = maps.reshape(len(maps), -1).max(axis=1).reshape(-1, 1, 1)
    return maps / np.where(peak > 0, peak, 1.0)


def _visible(encoder: Encoder, frame_size: int) -> tuple[int, int]:
    """(top, side): the centre square of the frame the encoder's resize-and-crop keeps.

    Mirrors resize_crop: the shorter side goes to `encoder.resize`, then a centre crop of
    `encoder.input_size`; encoders without `resize` (the cnn) resize the whole frame, no crop.
    """
    side = round(frame_size * encoder.input_size / getattr(encoder, "resize", encoder.input_size))
    return (frame_size - side) // 2, side


def visible_box(encoder: Encoder, frame_size: int) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the frame pixels the encoder sees; exclusive ends."""
    top, side = _visible(encoder, frame_size)
    return top, top + side, top, top + side


def to_frame(maps: np.ndarray, encoder: Encoder, frame_size: int) -> np.ndarray:
    """(B, h, w) maps over the encoder's input -> (B, frame_size, frame_size) over the observation."""
    top, side = _visible(encoder, frame_size)
    inner = F.interpolate(torch.as_tensor(maps, dtype=torch.float32)[:, None], size=(side, side),
                          mode="bilinear", align_corners=False)[:, 0].numpy()
    out = np.zeros((len(maps), frame_size, frame_size), dtype=np.float32)
    out[:, top:top + side, top:top + side] = inner
    return out


def to_grid(masks: np.ndarray, encoder: Encoder, grid: tuple[int, int]) -> np.ndarray:
    """(B, H, H) frame masks -> (B, h, w): the share of each map cell the mask covers, as the encoder
    crops the frame; the inverse of to_frame for masks."""
    top, side = _visible(encoder, masks.shape[-1])
    crop = torch.as_tensor(masks[:, top:top + side, top:top + side], dtype=torch.float32)[:, None]
    return F.adaptive_avg_pool2d(crop, grid)[:, 0].numpy()
