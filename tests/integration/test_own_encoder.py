"""A user's own vision model, from a local directory to result rows: train BC in each mode on an `hf:` model,
evaluate it, and keep frozen weights by hash (never copied) so that other weights are refused."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest
import torch

from pvmbench.agents.checkpoint import load_checkpoint
from tests.fixtures.hf_models import save_tiny_vit

pytest.importorskip("transformers", reason="the hf: adapter is the optional [hf] extra; CI installs it")


def _cli(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PVMBENCH_CACHE": str(tmp_path / "cache")}
    return subprocess.run([sys.executable, "-m", "pvmbench.cli", *args], capture_output=True, text=True, env=env)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return save_tiny_vit(tmp_path_factory.mktemp("models") / "my-vit")


@pytest.mark.parametrize("mode", ["frozen", "partial"])
def test_train_and_evaluate_an_hf_encoder(tmp_path, model_dir, mode):
    ckpt = tmp_path / f"{mode}.pt"
    run = _cli(tmp_path, "train", "--algo", "bc", "--encoder", f"hf:{model_dir}", "--mode", mode, "--demos", "2",
               "--steps", "3", "--batch", "8", "--image-size", "64", "--no-progress", "--out", str(ckpt),
               "--encoder-option", "features=cls")
    assert run.returncode == 0, run.stderr
    checkpoint = load_checkpoint(ckpt)
    assert checkpoint["meta"]["label"] == f"hf:my-vit/{mode}"
    assert checkpoint["config"]["encoder"] == f"hf:{model_dir}"
    assert checkpoint["config"]["encoder_options"] == {"features": "cls"}
    encoder_keys = [k for k in checkpoint["state_dict"] if k.startswith("encoder.")]
    # A frozen pretrained encoder is stored as its identity (source + sha256), not as a copy of its weights.
    assert (encoder_keys == []) == (mode == "frozen")
    assert len(checkpoint["config"]["encoder_identity"]["sha256"]) == 64

    rows_path = tmp_path / "rows.parquet"
    evaluation = _cli(tmp_path, "eval", "--agent", str(ckpt), "--shift", "id,hard", "--episodes", "1",
                      "--workers", "0", "--num-envs", "1", "--out", str(rows_path), "--no-progress")
    assert evaluation.returncode == 0, evaluation.stderr
    rows = pd.read_parquet(rows_path)
    assert list(rows["level"]) == ["id", "hard"] and set(rows["agent_label"]) == {f"hf:my-vit/{mode}"}
    assert (rows["status"] == "ok").all()


def test_frozen_checkpoint_refuses_other_weights(tmp_path):
    model_dir = save_tiny_vit(tmp_path / "my-vit")
    ckpt = tmp_path / "frozen.pt"
    run = _cli(tmp_path, "train", "--algo", "bc", "--encoder", f"hf:{model_dir}", "--mode", "frozen", "--demos", "2",
               "--steps", "3", "--batch", "8", "--image-size", "64", "--no-progress", "--out", str(ckpt))
    assert run.returncode == 0, run.stderr
    import transformers

    model = transformers.ViTModel.from_pretrained(model_dir)
    with torch.no_grad():
        model.embeddings.cls_token.add_(1.0)  # someone retrained the model in place
    model.save_pretrained(model_dir)
    evaluation = _cli(tmp_path, "eval", "--agent", str(ckpt), "--shift", "id", "--episodes", "1", "--workers", "0",
                      "--num-envs", "1", "--out", str(tmp_path / "rows.parquet"), "--no-progress")
    assert evaluation.returncode == 2
    assert "weights have sha256" in evaluation.stderr and "Traceback" not in evaluation.stderr
