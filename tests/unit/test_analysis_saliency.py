"""Saliency: Grad-CAM and CLS attention against worked examples and independent implementations.

The worked Grad-CAM example has one channel with a positive weight, one with a zero weight and one with a
negative weight, so dropping the ReLU or the gradient weights changes the map. The CLS attention is
recomputed from the last layer's queries and keys, so layer 0 or the CLS column cannot pass.
"""

import math

import numpy as np
import pytest
import torch
from torch import nn

from pvmbench.agents.bc.policy import BCPolicy
from pvmbench.agents.encoders import build_encoder
from pvmbench.agents.encoders.base import Encoder
from pvmbench.analysis.saliency import grad_cam, saliency, saliency_method
from pvmbench.errors import UserError


class _Plain(Encoder):
    """An encoder with neither attention nor a spatial map: pixels in, channel means out."""
    name, feature_dim, input_size = "plain", 3, 8

    def __init__(self):
        super().__init__("frozen")

    def preprocess(self, images):
        return images.permute(0, 3, 1, 2).float() / 255.0

    def features(self, x):
        return x.mean(dim=(2, 3))

    def blocks(self):
        return []

    def identity(self):
        return {"name": self.name}


class _Channels(_Plain):
    """The preprocessed pixels are the feature map: channel c of the map is colour channel c."""
    name = "channels"

    def spatial_features(self, x):
        return x, x.mean(dim=(2, 3))


class _ChannelsWithAttention(_Channels):
    name = "channels+attention"

    def cls_attention(self, x):
        return torch.ones(len(x), 2, 2)


def _quadrants():
    """Red top-left, green top-right, blue bottom-right, black bottom-left."""
    image = np.zeros((1, 8, 8, 3), np.uint8)
    image[0, :4, :4, 0] = image[0, :4, 4:, 1] = image[0, 4:, 4:, 2] = 255
    return image


def _head():
    # action = 1 * mean(red) + 0 * mean(green) - 1 * mean(blue) + 5 > 0: d||a|| / d features = (1, 0, -1)
    head = nn.Linear(3, 1)
    with torch.no_grad():
        head.weight.copy_(torch.tensor([[1.0, 0.0, -1.0]]))
        head.bias.fill_(5.0)
    return head


def test_grad_cam_weights_channels_by_their_gradient_and_keeps_the_positive_part():
    cam = grad_cam(_Channels(), _quadrants(), _head())[0]
    # relu(1 * red - 1 * blue): red's quadrant only. Unit weights would light green and blue up; no ReLU
    # would leave blue's quadrant at -1.
    np.testing.assert_allclose(cam[:4, :4], 1.0)
    np.testing.assert_allclose(cam[:4, 4:], 0.0)
    np.testing.assert_allclose(cam[4:, 4:], 0.0)
    np.testing.assert_allclose(cam[4:, :4], 0.0)


def test_grad_cam_of_the_cnn_policy_matches_an_independent_computation():
    torch.manual_seed(0)
    policy = BCPolicy(build_encoder("cnn", "scratch"), action_dim=4).eval()
    images = np.random.default_rng(0).integers(0, 255, size=(3, 64, 64, 3), dtype=np.uint8)
    ours = grad_cam(policy.encoder, images, policy.head_from_features)
    x = policy.encoder.preprocess(torch.as_tensor(images))
    expected = []
    for i in range(len(images)):  # one image at a time, by torch.autograd.grad
        fmap = x[i:i + 1]
        for stage in policy.encoder.stages:
            fmap = stage(fmap)
        (grad,) = torch.autograd.grad(policy.head(fmap.flatten(1)).norm(), fmap)
        cam = torch.clamp((grad.mean(dim=(2, 3), keepdim=True) * fmap).sum(dim=1), min=0)[0].detach().numpy()
        expected.append(cam / cam.max() if cam.max() > 0 else cam)
    np.testing.assert_allclose(ours, np.stack(expected), atol=1e-5)


def test_grad_cam_explains_each_frame_under_its_own_state():
    # A policy that reads the robot state beside the image: the output is zero for frames whose state is
    # 0, so their maps are empty, and the others' are not. 20 frames cross saliency's batches of 16.
    images = np.repeat(_quadrants(), 20, axis=0)
    states = np.zeros((20, 1), np.float32)
    states[[3, 17]] = 1.0

    def gated(features, batch_states):
        return _head()(features) * batch_states

    maps, method = saliency(_Channels(), images, gated, states)
    assert method == "grad-cam"
    lit = np.flatnonzero(maps.reshape(20, -1).max(axis=1) > 0)
    assert list(lit) == [3, 17]


def test_the_method_follows_what_the_encoder_offers():
    assert saliency_method(_Channels()) == "grad-cam"
    assert saliency_method(_ChannelsWithAttention()) == "cls-attention"  # its own attention comes first
    maps, method = saliency(_ChannelsWithAttention(), _quadrants())
    assert method == "cls-attention" and maps.shape == (1, 2, 2)
    with pytest.raises(UserError, match="neither attention of its own nor a spatial feature map") as err:
        saliency(_Plain(), _quadrants())
    assert "\n" not in str(err.value)


SMALL = {"hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 2, "num_hidden_layers": 2}


def _tiny_vit(name):
    transformers = pytest.importorskip("transformers")
    from pvmbench.agents.encoders.hf_vit import CLIPEncoder, DINOv2Encoder

    torch.manual_seed(0)
    if name == "dinov2":
        model = transformers.Dinov2Model(transformers.Dinov2Config(**SMALL, image_size=32, patch_size=8))
        encoder = DINOv2Encoder.from_model(model, "frozen")
        layers, norm, attention = model.encoder.layer, "norm1", "attention"
    else:
        model = transformers.CLIPVisionModel(transformers.CLIPVisionConfig(**SMALL, image_size=32, patch_size=8))
        encoder = CLIPEncoder.from_model(model, "frozen")
        layers, norm, attention = getattr(model, "vision_model", model).encoder.layers, "layer_norm1", "self_attn"
    with torch.no_grad():  # freshly initialised attention is nearly uniform; sharpen it so rows differ
        for layer in layers:
            getattr(layer, attention).q_proj.weight.mul_(10)
            getattr(layer, attention).k_proj.weight.mul_(10)
    return encoder, layers[-1], norm, attention


def _reference_cls_attention(encoder, last, norm, attention, images):
    """softmax(q k^T / sqrt(d)) of the last layer, from its input hidden states; CLS row, head mean."""
    captured = {}

    def keep_input(module, args, kwargs):
        captured["h"] = args[0] if args else kwargs["hidden_states"]

    handle = last.register_forward_pre_hook(keep_input, with_kwargs=True)
    with torch.no_grad():
        x = encoder.preprocess(torch.as_tensor(images))
        encoder.model(pixel_values=x)
        handle.remove()
        h = getattr(last, norm)(captured["h"])
        attn = getattr(last, attention)
        heads = encoder.model.config.num_attention_heads
        b, t, d = h.shape
        q = attn.q_proj(h).view(b, t, heads, d // heads).transpose(1, 2)
        k = attn.k_proj(h).view(b, t, heads, d // heads).transpose(1, 2)
        weights = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // heads), dim=-1)
    side = encoder.input_size // encoder.model.config.patch_size
    row = weights[:, :, 0, 1:1 + side * side].mean(dim=1).reshape(-1, side, side).numpy()
    return row / row.reshape(len(row), -1).max(axis=1)[:, None, None]


@pytest.mark.parametrize("name", ["dinov2", "clip"])
def test_cls_attention_is_the_last_layers_cls_row(name):
    encoder, last, norm, attention = _tiny_vit(name)
    images = np.random.default_rng(1).integers(0, 255, size=(2, 48, 48, 3), dtype=np.uint8)
    maps, method = saliency(encoder, images)
    assert method == "cls-attention" and maps.shape == (2, 4, 4)
    np.testing.assert_allclose(maps, _reference_cls_attention(encoder, last, norm, attention, images), atol=1e-5)
