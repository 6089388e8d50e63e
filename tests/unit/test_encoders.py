"""Encoders: feature shapes, what each fine-tune mode lets train, learning rates, offline loading errors.

DINOv2 and CLIP are tiny configs written by save_pretrained and loaded through the real loading path;
EfficientNet-Lite0 is the real ImageNet model from its PyPI wheel. Nothing may touch the network.
"""
# ruff: noqa: E402  (HF_HUB_OFFLINE must be set before transformers is first imported)

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import hashlib
import json
import shutil
import socket
import subprocess
import sys

import pytest
import torch
from torch import nn

from pvmbench.agents.encoders import build_encoder, param_groups, set_inference_dtype
from pvmbench.errors import UserError

transformers = pytest.importorskip("transformers")
HIDDEN = 32
SMALL = {"hidden_size": HIDDEN, "intermediate_size": 64, "num_attention_heads": 2}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """Directories holding a 6-layer DINOv2 (32 px, patch 8: 16 patches) and CLIP (28 px, patch 14)."""
    dirs = {"dinov2": tmp_path_factory.mktemp("dinov2"), "clip": tmp_path_factory.mktemp("clip")}
    transformers.Dinov2Model(transformers.Dinov2Config(
        **SMALL, num_hidden_layers=6, image_size=32, patch_size=8)).save_pretrained(dirs["dinov2"])
    transformers.CLIPVisionModel(transformers.CLIPVisionConfig(
        **SMALL, num_hidden_layers=6, image_size=28, patch_size=14)).save_pretrained(dirs["clip"])
    return dirs


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    # Two intra-op threads on two busy cores wait out scheduler slices at every op: 10x slower, not faster.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def no_network(monkeypatch):
    refuse = lambda *args, **kwargs: pytest.fail("an encoder tried the network")  # noqa: E731
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def make(name, mode, tiny, **kwargs):
    if name in tiny:
        kwargs.setdefault("source", tiny[name])
    return build_encoder(name, "scratch" if name == "cnn" else mode, **kwargs)


def images(size):  # a fixed batch of 2
    return torch.randint(0, 256, (2, size, size, 3), generator=torch.Generator().manual_seed(0)).byte()


def train_steps(enc, steps=3):
    """Adam steps on a regression loss through encoder + linear head; True if the head changed."""
    torch.manual_seed(1)
    head = nn.Linear(enc.feature_dim, 3)
    head_before = head.weight.detach().clone()
    opt = torch.optim.Adam(param_groups(enc, head.parameters(), lr=1e-2, pretrained_lr=1e-2))
    enc.train()
    x, target = images(64), torch.randn(2, 3)
    for _ in range(steps):
        opt.zero_grad()
        (head(enc(x)) - target).pow(2).mean().backward()
        opt.step()
    return not torch.equal(head.weight, head_before)


def snapshot(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def changed(before, module):
    return sorted(k for k, v in module.state_dict().items() if not torch.equal(v, before[k]))


def tail_keys(enc):  # state_dict keys of the tensors of blocks()[-k:], matched by storage
    ptrs = {t.data_ptr() for b in enc.blocks()[-enc.trainable_blocks:] for t in b.state_dict().values()}
    return {k for k, v in enc.state_dict().items() if v.data_ptr() in ptrs}


PRETRAINED = ["efficientnet-lite0", "dinov2", "clip"]
SHAPES = [("cnn", {}, 256 * 4 * 4), ("efficientnet-lite0", {}, 1280),
          ("efficientnet-lite0", {"features": "map"}, 320 * 7 * 7), ("dinov2", {}, 16 * HIDDEN),
          ("dinov2", {"tokens": "cls"}, HIDDEN), ("clip", {}, HIDDEN)]


@pytest.mark.parametrize("size", [224, 64])
@pytest.mark.parametrize("name,kwargs,dim", SHAPES)
def test_feature_shapes(tiny, name, kwargs, dim, size):
    enc = make(name, "frozen", tiny, **kwargs)
    out = enc(images(size))
    assert out.shape == (2, dim) == (2, enc.feature_dim)
    assert out.dtype == torch.float32 and torch.isfinite(out).all()


def test_native_sizes_and_partial_block_counts(tiny):
    sizes = {n: make(n, "frozen", tiny).input_size for n in ("cnn", "efficientnet-lite0", "dinov2", "clip")}
    assert sizes == {"cnn": 64, "efficientnet-lite0": 224, "dinov2": 32, "clip": 28}  # tiny: own image_size
    assert make("dinov2", "frozen", tiny).resize == 37  # 32 * 256 / 224, as 224 * 256 / 224 = 256
    assert {make(n, "partial", tiny).trainable_blocks for n in ("dinov2", "clip")} == {4}  # of 6 layers
    small = tiny["dinov2"].parent / "dinov2-3layers"
    config = transformers.Dinov2Config(**SMALL, num_hidden_layers=3, image_size=32, patch_size=8)
    transformers.Dinov2Model(config).save_pretrained(small)
    assert build_encoder("dinov2", "partial", source=small).trainable_blocks == 3  # min(4, n)


@pytest.mark.parametrize("name", PRETRAINED)
def test_frozen_weights_stay_bit_identical_while_the_head_trains(tiny, name):
    enc = make(name, "frozen", tiny)
    before = snapshot(enc)
    assert train_steps(enc)  # the head trained
    assert changed(before, enc) == [] and not enc.training and enc.trainable_parameters() == []


@pytest.mark.parametrize("name", PRETRAINED)
def test_partial_changes_only_the_last_blocks(tiny, name):
    enc = make(name, "partial", tiny)
    before = snapshot(enc)
    assert train_steps(enc)
    moved, tail = changed(before, enc), tail_keys(enc)
    outside = [k for k in moved if k not in tail]
    assert moved and outside == [], f"changed outside blocks()[-{enc.trainable_blocks}:]: {outside}"
    for block in enc.blocks()[-enc.trainable_blocks:]:  # every trainable block did learn
        assert any(not torch.equal(v, before[k]) for k, v in enc.state_dict().items()
                   if v.data_ptr() in {t.data_ptr() for t in block.state_dict().values()})


def test_efficientnet_partial_trains_exactly_the_documented_blocks(tiny):
    enc = make("efficientnet-lite0", "partial", tiny)
    trainable = {n.split(".")[1] + ("." + n.split(".")[2] if n.startswith("model._blocks") else "")
                 for n, p in enc.named_parameters() if p.requires_grad}
    assert len(enc.blocks()) == 17 and enc.trainable_blocks == 5
    assert trainable == {"_blocks.12", "_blocks.13", "_blocks.14", "_blocks.15", "_conv_head", "_bn1"}
    enc.train()  # frozen BatchNorm layers stay in eval mode, the tail trains
    assert not enc.model._bn0.training and not enc.model._blocks[11].training
    assert enc.model._blocks[12].training and enc.model._bn1.training


def test_efficientnet_map_is_the_last_blocks_output_in_place(tiny):
    """features=map: the map the head conv would read, flattened channel-major, so each feature has a place."""
    pool, mapped = make("efficientnet-lite0", "frozen", tiny), make("efficientnet-lite0", "frozen", tiny,
                                                                     features="map")
    seen = []
    handle = pool.model._conv_head.register_forward_pre_hook(lambda m, args: seen.append(args[0]))
    x = pool.preprocess(images(96))
    with torch.no_grad():
        pooled = pool.features(x)
        fmap, flat = mapped.spatial_features(x)
    handle.remove()
    assert fmap.shape == (2, 320, 7, 7)
    torch.testing.assert_close(fmap, seen[0])
    torch.testing.assert_close(flat.view(2, 320, 7, 7)[:, :, 2, 5], seen[0][:, :, 2, 5])
    assert pooled.shape == (2, 1280)  # the published layout is unchanged by the option
    assert "features" not in pool.identity() and mapped.identity()["features"] == "map"
    with pytest.raises(UserError, match="features='tokens': accepted: pool, map, map14"):
        make("efficientnet-lite0", "frozen", tiny, features="tokens")


def test_efficientnet_map_partial_trains_the_last_four_blocks_and_no_head(tiny):
    enc = make("efficientnet-lite0", "partial", tiny, features="map")
    trainable = {n.split(".")[2] for n, p in enc.named_parameters() if p.requires_grad}
    assert len(enc.blocks()) == 16 and trainable == {"12", "13", "14", "15"}


def test_efficientnet_map14_is_block_10s_output_in_place(tiny):
    """features=map14: the 112 x 14 x 14 map that block 11 (the first at 7 x 7) would read."""
    pool, mapped = make("efficientnet-lite0", "frozen", tiny), make("efficientnet-lite0", "frozen", tiny,
                                                                     features="map14")
    seen = []
    handle = pool.model._blocks[11].register_forward_pre_hook(lambda m, args: seen.append(args[0]))
    x = pool.preprocess(images(96))
    with torch.no_grad():
        pool.features(x)
        fmap, flat = mapped.spatial_features(x)
    handle.remove()
    assert fmap.shape == (2, 112, 14, 14) and mapped.feature_shape == (112, 14, 14)
    assert mapped.feature_dim == flat.shape[1] == 112 * 14 * 14
    torch.testing.assert_close(fmap, seen[0])
    torch.testing.assert_close(flat.view(2, 112, 14, 14)[:, :, 9, 3], seen[0][:, :, 9, 3])
    assert mapped.identity()["features"] == "map14" and pool.feature_shape is None


def test_efficientnet_map14_partial_trains_blocks_7_to_10(tiny):
    enc = make("efficientnet-lite0", "partial", tiny, features="map14")
    trainable = {n.split(".")[2] for n, p in enc.named_parameters() if p.requires_grad}
    assert len(enc.blocks()) == 11 and trainable == {"7", "8", "9", "10"}


EMBEDDINGS = {"cnn": {"stages.0.0.weight"}, "efficientnet-lite0": {"model._conv_stem.weight"},
              "dinov2": {"model.embeddings.patch_embeddings.projection.weight", "model.embeddings.cls_token",
                         "model.embeddings.position_embeddings"},
              "clip": {"model.embeddings.patch_embedding.weight"}}


@pytest.mark.parametrize("name", list(EMBEDDINGS))
def test_full_changes_the_embeddings_too(tiny, name):
    enc = make(name, "full", tiny)
    before = snapshot(enc)
    train_steps(enc)
    assert EMBEDDINGS[name] <= set(changed(before, enc))


def test_param_groups_give_pretrained_weights_their_own_lr(tiny):
    enc, head = make("dinov2", "partial", tiny), nn.Linear(16 * HIDDEN, 3)
    groups = param_groups(enc, [*head.parameters(), *enc.parameters()])  # encoder params are not duplicated
    assert [(g["name"], g["lr"]) for g in groups] == [("encoder", 4e-6), ("head", 4e-5)]
    assert {id(p) for p in groups[0]["params"]} == {id(p) for p in enc.trainable_parameters()}
    assert {id(p) for p in groups[1]["params"]} == {id(p) for p in head.parameters()}
    cnn = make("cnn", "scratch", tiny)
    groups = param_groups(cnn, head.parameters(), lr=1e-3, pretrained_lr=1e-5)
    assert [g["lr"] for g in groups] == [1e-3, 1e-3]
    frozen = make("clip", "frozen", tiny)
    assert [g["name"] for g in param_groups(frozen, head.parameters())] == ["head"]


@pytest.mark.parametrize("name,hub", [("dinov2", "facebook/dinov2-small"),
                                      ("clip", "openai/clip-vit-base-patch32")])
def test_missing_model_is_one_line_user_error(tmp_path, no_network, name, hub):
    # A hub name not in the cache names itself; a missing directory names the hub name to download.
    missing = "pvmbench-test/no-such-model"
    for source, named in [(missing, missing), (tmp_path / "nope", hub)]:
        with pytest.raises(UserError) as err:
            build_encoder(name, "frozen", source=source)
        assert "\n" not in str(err.value) and named in str(err.value) and "save_pretrained" in str(err.value)


def test_bad_names_modes_options_and_checkpoints(tiny):
    # A checkpoint of another model is refused, not silently completed with random weights.
    for args, kwargs, accepted in [(("vit", "frozen"), {}, "cnn, efficientnet-lite0, dinov2, clip"),
                                   (("clip", "frozen"), {"source": tiny["dinov2"]}, "do not fit CLIPVision"),
                                   (("cnn", "frozen"), {}, "scratch"),
                                   (("clip", "scratch"), {}, "frozen, partial, full"),
                                   (("cnn", "scratch"), {"colour": 1}, "input_size, depth")]:
        with pytest.raises(UserError, match=accepted):
            build_encoder(*args, **kwargs)


def test_identity_sha256_follows_the_weights(tiny):
    enc = make("dinov2", "frozen", tiny)
    first = enc.identity()
    assert first["source"] == str(tiny["dinov2"]) and len(first["sha256"]) == 64
    next(enc.blocks()[0].parameters()).data.add_(1e-3)
    assert enc.identity()["sha256"] != first["sha256"]
    eff = make("efficientnet-lite0", "frozen", tiny)
    ident = eff.identity()
    with open(eff.weights_file, "rb") as f:
        assert ident["sha256"] == hashlib.sha256(f.read()).hexdigest()  # the published file
    eff.model._conv_stem.weight.data.mul_(2)
    assert eff.identity()["state_dict_sha256"] != ident["state_dict_sha256"]
    assert make("cnn", "scratch", tiny).identity() == {"name": "cnn", "weights": "trained from scratch"}


def test_clip_loads_the_vision_tower_of_a_full_clip_checkpoint(tmp_path):
    config = transformers.CLIPConfig(
        vision_config={**SMALL, "num_hidden_layers": 2, "image_size": 28, "patch_size": 14},
        text_config={**SMALL, "num_hidden_layers": 1, "vocab_size": 49408}, projection_dim=16)
    full = transformers.CLIPModel(config)
    full.save_pretrained(tmp_path)  # the layout of openai/clip-vit-base-patch32 on the hub
    enc = build_encoder("clip", "frozen", source=tmp_path)
    assert torch.equal(enc.blocks()[-1].mlp.fc1.weight, full.vision_model.encoder.layers[-1].mlp.fc1.weight)


def test_hub_name_loads_from_the_cache_offline(tiny, tmp_path):
    repo = tmp_path / "models--facebook--dinov2-small"  # the hub cache layout: refs/main -> snapshot
    shutil.copytree(tiny["dinov2"], repo / "snapshots" / ("0" * 40))
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)
    code = ("import json; from pvmbench.agents.encoders import build_encoder; "
            "print(json.dumps(build_encoder('dinov2', 'frozen').identity()))")
    env = {**os.environ, "HF_HUB_CACHE": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    ident = json.loads(out.stdout.strip().splitlines()[-1])
    assert ident["source"] == "facebook/dinov2-small"
    assert ident["sha256"] == make("dinov2", "frozen", tiny).identity()["sha256"]


def test_bfloat16_inference(tiny):
    enc = make("dinov2", "frozen", tiny, tokens="cls")
    x = images(64)
    reference = enc(x)
    out = set_inference_dtype(enc, "bfloat16")(x)
    assert out.dtype == torch.float32 and torch.allclose(out, reference, atol=0.1, rtol=0.05)
    assert not torch.equal(out, reference)  # it did run in bfloat16
    with pytest.raises(UserError, match="float32, bfloat16"):
        set_inference_dtype(enc, "float16")
