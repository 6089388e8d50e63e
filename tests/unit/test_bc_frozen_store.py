"""Frozen outputs are kept on disk: unshifted ones for the next training seed, shifted ones for a rerun of
the same seed. A hit must be bit-identical to computing them, leave the random generator where computing
would, and never be served to other frames, other weights or another seed's shifts."""

from __future__ import annotations

import pytest
import torch

from pvmbench.agents.bc import frozen_store
from pvmbench.agents.bc.inputs import make_inputs
from pvmbench.agents.encoders import build_encoder
from tests.fixtures.hf_models import save_tiny_vit


@pytest.fixture(autouse=True)
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("PVMBENCH_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "frozen"


@pytest.fixture(scope="module")
def vit_dir(tmp_path_factory):
    return save_tiny_vit(tmp_path_factory.mktemp("vit"))


def _frames(seed: int = 1, n: int = 10) -> torch.Tensor:
    return torch.randint(0, 256, (n, 32, 32, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(seed))


def _build(encoder, frames, pad: int, copies: int = 1, seed: int = 0):
    """make_inputs with the encoder's forward counted; (inputs, frames encoded, the generator's next draw)."""
    calls = []
    forward = encoder.forward
    encoder.forward = lambda x: calls.append(len(x)) or forward(x)
    generator = torch.Generator().manual_seed(seed)
    try:
        inputs = make_inputs(encoder, frames, frames[:3], pad, copies, generator, progress=False)
    finally:
        del encoder.forward
    return inputs, sum(calls), torch.randint(0, 1000, (4,), generator=generator)


def test_the_next_seed_reads_what_the_first_computed(vit_dir, store):
    encoder = build_encoder(f"hf:{vit_dir}", "frozen")
    first, encoded, draw = _build(encoder, _frames(), pad=0)
    assert encoded == 10 + 3 and len(list(store.glob("*.pt"))) == 2  # training and held-out frames
    again, encoded_again, draw_again = _build(encoder, _frames(), pad=0)
    assert encoded_again == 0
    assert torch.equal(again.train.values, first.train.values) and torch.equal(again.val.values, first.val.values)
    assert torch.equal(draw_again, draw)  # training draws the same shifts and batches either way


def test_other_frames_or_weights_are_computed_afresh(vit_dir):
    encoder = build_encoder(f"hf:{vit_dir}", "frozen")
    _build(encoder, _frames(), pad=0)
    changed = _frames().clone()
    changed[4, 7, 7, 0] ^= 1  # one bit of one pixel
    assert _build(encoder, changed, pad=0)[1] == 13 - 3  # only the held-out frames (unchanged) hit
    with torch.no_grad():
        next(encoder.parameters()).add_(0.5)
    assert _build(encoder, _frames(), pad=0)[1] == 13


def test_shifted_copies_serve_the_same_seed_and_never_another(vit_dir, store, tmp_path, monkeypatch):
    encoder = build_encoder(f"hf:{vit_dir}", "frozen")
    first, encoded, draw = _build(encoder, _frames(), pad=2, copies=2, seed=0)
    assert encoded == 20 + 3 and len(list(store.glob("*.pt"))) == 2
    again, encoded_again, draw_again = _build(encoder, _frames(), pad=2, copies=2, seed=0)
    assert encoded_again == 0  # a rerun of seed 0 (other steps, other DAgger rounds) reads its copies
    assert torch.equal(again.train.values, first.train.values) and torch.equal(again.train.offsets, first.train.offsets)
    assert torch.equal(draw_again, draw)
    other, encoded_other, _ = _build(encoder, _frames(), pad=2, copies=2, seed=1)
    assert encoded_other == 20  # seed 1 draws other shifts: computed afresh; the unshifted held-out frames hit
    assert not torch.equal(other.train.offsets, first.train.offsets)
    monkeypatch.setenv("PVMBENCH_CACHE", str(tmp_path / "no-store-yet"))
    alone = _build(encoder, _frames(), pad=2, copies=2, seed=1)[0]
    assert torch.equal(other.train.values, alone.train.values)  # what it would be with no file at all


def test_a_killed_writer_leaves_no_file_under_the_key(store, monkeypatch):
    def dies(obj, path):
        open(path, "wb").write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", dies)
    with pytest.raises(KeyboardInterrupt):
        frozen_store.save("abc", torch.zeros(3))
    assert frozen_store.load("abc") is None
