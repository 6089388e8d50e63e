"""DreamerV3's three parameter groups: trained at 4e-5, pretrained layers being tuned at 4e-6, frozen layers
left out and bit-identical after updates; `partial` trains only the encoder's last blocks. The encoder is a
tiny Hugging Face ViT saved with save_pretrained, through the `hf:` adapter as any PVM goes."""

from __future__ import annotations

import pytest
import torch

from pvmbench.agents.dreamerv3.agent import build_model
from pvmbench.agents.dreamerv3.config import config_for
from tests.fixtures.hf_models import save_tiny_vit

pytest.importorskip("transformers")

# A model small enough for a few updates in a second, with the 12m preset's learning rates and warmup.
TINY = {"deter": 64, "hidden": 32, "stoch": 4, "classes": 4, "units": 32, "depth": 8, "recon_size": 32,
        "batch_size": 2, "batch_length": 4, "imag_horizon": 3}


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def vit_dir(tmp_path_factory):
    return save_tiny_vit(tmp_path_factory.mktemp("vit"))


def _model(encoder: str, mode: str, options: dict | None = None):
    torch.manual_seed(0)
    cfg = config_for("12m", **TINY)
    return build_model({"encoder": encoder, "encoder_options": options or {}, "mode": mode, "action_dim": 2,
                        "state_dim": 3, "dreamer": cfg.to_dict()})


def _batch(b: int = 2, t: int = 4, size: int = 32) -> dict:
    g = torch.Generator().manual_seed(0)
    return {"image": torch.randint(0, 256, (b, t, size, size, 3), dtype=torch.uint8, generator=g),
            "state": torch.randn(b, t, 3, generator=g), "prev_action": torch.rand(b, t, 2, generator=g) * 2 - 1,
            "reward": torch.randn(b, t, generator=g), "is_first": torch.zeros(b, t, dtype=torch.bool),
            "is_last": torch.zeros(b, t, dtype=torch.bool), "is_terminal": torch.zeros(b, t, dtype=torch.bool)}


def _snapshot(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _train(model, steps: int = 3):
    optimizer = model.make_optimizer()
    for _ in range(steps):
        model.train_step(_batch(), optimizer)
    return optimizer


def _lrs(optimizer) -> dict[str, float]:
    return {group["name"]: group["lr"] for group in optimizer.param_groups}


def _ids(params) -> set[int]:
    return {id(p) for p in params}


def test_frozen_pvm_is_left_out_and_bit_identical(vit_dir):
    model = _model(f"hf:{vit_dir}", "frozen", {"features": "patch"})
    encoder = model.encoder
    # The study's plug: flattened patch tokens (16 x 32) straight into the posterior's first Linear.
    assert encoder.feature_dim == 16 * 32
    assert model.world_model.rssm.post_mlp[0].in_features == 64 + encoder.feature_dim + 32  # deter + tokens + state
    before_encoder, before_rssm = _snapshot(encoder), _snapshot(model.world_model.rssm)
    optimizer = _train(model)
    assert _lrs(optimizer) == {"head": 4e-5}
    assert not any(p.requires_grad for p in encoder.parameters())
    assert all(torch.equal(v, before_encoder[k]) for k, v in encoder.state_dict().items())
    assert any(not torch.equal(v, before_rssm[k]) for k, v in model.world_model.rssm.state_dict().items())
    assert not any(k.startswith("world_model.encoder.") for k in model.checkpoint_state())  # stored by hash


def test_partial_trains_only_the_last_blocks_at_the_pretrained_rate(vit_dir):
    model = _model(f"hf:{vit_dir}", "partial", {"features": "patch", "trainable_blocks": 1})
    encoder = model.encoder
    blocks = encoder.blocks()
    assert len(blocks) == 3
    before = _snapshot(encoder)
    optimizer = _train(model)
    assert _lrs(optimizer) == {"encoder": 4e-6, "head": 4e-5}
    groups = {group["name"]: _ids(group["params"]) for group in optimizer.param_groups}
    assert groups["encoder"] == _ids(blocks[-1].parameters())
    assert not groups["encoder"] & groups["head"]
    last_block = _ids(blocks[-1].parameters())
    trained = {n for n, p in encoder.named_parameters() if id(p) in last_block}
    changed = {n for n, p in encoder.named_parameters() if not torch.equal(p, before[n])}
    assert changed and changed <= trained  # embeddings, blocks 0-1 and the final norm are bit-identical
    head_params = [p for n, p in model.named_parameters() if not n.startswith("world_model.encoder.")]
    assert groups["head"] == _ids(p for p in head_params if p.requires_grad)


def test_full_tunes_every_pretrained_weight_at_the_pretrained_rate(vit_dir):
    model = _model(f"hf:{vit_dir}", "full", {"features": "patch"})
    before = _snapshot(model.encoder)
    optimizer = _train(model)
    assert _lrs(optimizer) == {"encoder": 4e-6, "head": 4e-5}
    assert next(g for g in optimizer.param_groups if g["name"] == "encoder")["params"] == \
        list(model.encoder.parameters())
    changed = [k for k, v in model.encoder.state_dict().items() if not torch.equal(v, before[k])]
    assert "model.embeddings.patch_embeddings.projection.weight" in changed  # reconstruction reaches the first layer


def test_scratch_cnn_trains_at_the_agent_rate():
    model = _model("cnn", "scratch", {"depth": 8})
    optimizer = model.make_optimizer()
    assert _lrs(optimizer) == {"encoder": 4e-5, "head": 4e-5}
    in_optimizer = set().union(*(_ids(g["params"]) for g in optimizer.param_groups))
    assert in_optimizer == _ids(model.parameters()) - _ids(model.actor_critic.slow_critic.parameters())
