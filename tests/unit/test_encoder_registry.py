"""Bring your own PVM: the open encoder registry, the hf: adapter, and third-party entry points."""

from __future__ import annotations

import sys
import textwrap

import pytest
import torch

from pvmbench.agents.encoders import (
    Encoder,
    available_encoders,
    build_encoder,
    encoder_label,
    register_encoder,
)
from pvmbench.agents.encoders import registry as encoder_registry
from pvmbench.errors import UserError
from tests.fixtures.hf_models import save_tiny_convnext, save_tiny_vit

pytest.importorskip("transformers", reason="the hf: adapter is the optional [hf] extra; CI installs it")
FRAMES = torch.randint(0, 256, (2, 64, 64, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))


@pytest.fixture(scope="module")
def vit_dir(tmp_path_factory):
    return save_tiny_vit(tmp_path_factory.mktemp("models") / "tiny-vit")


@pytest.fixture(scope="module")
def convnext_dir(tmp_path_factory):
    return save_tiny_convnext(tmp_path_factory.mktemp("models") / "tiny-convnext")


def _trainable(module: torch.nn.Module) -> set[int]:
    return {id(p) for p in module.parameters() if p.requires_grad}


@pytest.mark.parametrize("which", ["vit", "convnext"])
def test_hf_modes_freeze_exactly_what_they_say(which, vit_dir, convnext_dir):
    spec = f"hf:{vit_dir if which == 'vit' else convnext_dir}"
    frozen, partial, full = (build_encoder(spec, mode) for mode in ("frozen", "partial", "full"))
    assert not _trainable(frozen) and not frozen.training
    assert _trainable(full) == {id(p) for p in full.parameters()}
    blocks = partial.blocks()
    tail = blocks[-max(1, -(-len(blocks) // 3)):]  # the last third of the depth-ordered blocks
    assert _trainable(partial) == {id(p) for b in tail for p in b.parameters()}
    assert not any(p.requires_grad for p in blocks[0].parameters())
    assert frozen(FRAMES).shape == (2, frozen.feature_dim)


def test_hf_feature_choices(vit_dir, convnext_dir, tmp_path):
    vit = build_encoder(f"hf:{vit_dir}", "frozen", features="patch")
    assert vit.layout == "tokens" and vit.feature_dim == 16 * 32  # (32 / 8)^2 patches x 32 channels
    cls = build_encoder(f"hf:{vit_dir}", "frozen", features="cls")
    out = cls.model(pixel_values=cls.preprocess(FRAMES)).last_hidden_state
    assert torch.equal(cls(FRAMES), out[:, 0])
    conv = build_encoder(f"hf:{convnext_dir}", "frozen", features="mean")
    fmap, feats = conv.spatial_features(conv.preprocess(FRAMES))
    assert conv.layout == "map" and fmap.ndim == 4 and torch.allclose(feats, fmap.mean(dim=(2, 3)))
    no_pooler = save_tiny_vit(tmp_path / "no-pooler", pooler=False)
    with pytest.raises(UserError, match="features=pooled, but the model returns no pooler_output"):
        build_encoder(f"hf:{no_pooler}", "frozen", features="pooled")
    assert build_encoder(f"hf:{no_pooler}", "frozen").feature_mode == "cls"  # auto without a pooler


def test_hf_preprocessing_follows_the_directory(vit_dir, tmp_path):
    enc = build_encoder(f"hf:{vit_dir}", "frozen")
    assert enc.input_size == 32 and torch.allclose(enc.pixel_mean.flatten(), torch.full((3,), 127.5))
    plain = build_encoder(f"hf:{save_tiny_vit(tmp_path / 'plain', preprocessor=False)}", "frozen")
    assert plain.input_size == 32 and torch.allclose(plain.pixel_mean.flatten() / 255, torch.tensor([0.485, 0.456, 0.406]))


def test_hf_attention_and_spatial_hooks(vit_dir, convnext_dir):
    vit = build_encoder(f"hf:{vit_dir}", "frozen")
    attn = vit.cls_attention(vit.preprocess(FRAMES))
    assert vit.has_attention and not vit.has_spatial_map and attn.shape == (2, 4, 4)
    # Rows of a softmax: the CLS row's weights over all tokens sum to 1, so those over patches to at most 1.
    assert float(attn.sum(dim=(1, 2)).max()) <= 1 + 1e-5
    conv = build_encoder(f"hf:{convnext_dir}", "frozen")
    assert conv.has_spatial_map and not conv.has_attention


def test_bad_specs_are_one_line(tmp_path):
    with pytest.raises(UserError, match=r"encoder 'resnet9000': accepted: cnn, efficientnet-lite0, dinov2, clip.*hf:<hub id"):
        build_encoder("resnet9000", "frozen")
    with pytest.raises(UserError, match="is not a directory saved with save_pretrained"):
        build_encoder(f"hf:{tmp_path / 'nowhere'}", "frozen")
    with pytest.raises(UserError, match="not in the Hugging Face cache"):
        build_encoder("hf:someone/some-model-not-cached", "frozen")
    with pytest.raises(UserError, match="mode 'scratch': accepted: frozen, partial, full"):
        build_encoder("hf:whatever", "scratch")
    with pytest.raises(UserError, match="option.* colour: accepted: source, features, trainable_blocks"):
        build_encoder("hf:x", "frozen", colour="red")


class _Tiny(Encoder):
    name, feature_dim, input_size = "tiny", 8, 16

    def __init__(self, mode: str = "frozen"):
        super().__init__(mode)
        self.stem, self.last = torch.nn.Conv2d(3, 4, 4, 4), torch.nn.Conv2d(4, 8, 4)

    def preprocess(self, images):
        return torch.nn.functional.interpolate(images.permute(0, 3, 1, 2).float() / 255, size=(16, 16))

    def features(self, x):
        return self.last(self.stem(x)).flatten(1)

    def blocks(self):
        return [self.stem, self.last]

    def identity(self):
        return {"name": "tiny"}


def test_register_encoder_makes_a_user_class_work_with_every_mode():
    register_encoder("tiny-for-test")(_Tiny)
    try:
        partial = build_encoder("tiny-for-test", "partial", trainable_blocks=1)
        assert _trainable(partial) == {id(p) for p in partial.last.parameters()}
        assert partial.spec == "tiny-for-test" and partial.options == {"trainable_blocks": 1}
        assert "tiny-for-test" in available_encoders()
    finally:
        encoder_registry._REGISTERED.pop("tiny-for-test")


def test_a_factory_that_builds_no_encoder_is_named():
    register_encoder("not-an-encoder")(lambda mode: torch.nn.Linear(2, 2))
    try:
        with pytest.raises(UserError, match="built a Linear, not a pvmbench Encoder"):
            build_encoder("not-an-encoder", "frozen")
    finally:
        encoder_registry._REGISTERED.pop("not-an-encoder")


def test_third_party_package_is_found_through_its_entry_point(tmp_path, monkeypatch):
    # An installed distribution, as pip leaves it: a module and a .dist-info declaring the entry point.
    (tmp_path / "toy_pvm").mkdir()
    (tmp_path / "toy_pvm" / "__init__.py").write_text(textwrap.dedent('''
        import torch
        from pvmbench.agents.encoders import Encoder

        class ToyPVM(Encoder):
            name, feature_dim, input_size = "toy-pvm", 6, 8

            def __init__(self, mode="frozen", width=6):
                super().__init__(mode)
                self.blocks_ = torch.nn.ModuleList([torch.nn.Linear(3, 6), torch.nn.Linear(6, width)])
                self.feature_dim = width

            def preprocess(self, images):
                return images.float().mean(dim=(1, 2)) / 255

            def features(self, x):
                return self.blocks_[1](self.blocks_[0](x))

            def blocks(self):
                return list(self.blocks_)

            def identity(self):
                return {"name": "toy-pvm"}
    '''))
    info = tmp_path / "toy_pvm-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-pvm\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[pvmbench.encoders]\ntoy-pvm = toy_pvm:ToyPVM\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert available_encoders()["toy-pvm"] == "toy-pvm"
        enc = build_encoder("toy-pvm", "partial", width=5)
        assert enc(FRAMES).shape == (2, 5) and _trainable(enc) == {id(p) for p in enc.blocks_[1].parameters()}
    finally:
        encoder_registry._REGISTERED.pop("toy-pvm", None)
        sys.modules.pop("toy_pvm", None)


def test_labels_are_short():
    assert encoder_label("hf:/models/team/my-vit/") == "hf:my-vit"
    assert encoder_label("hf:facebook/dinov2-small") == "hf:dinov2-small"
    assert encoder_label("dinov2") == "dinov2"
