"""`pvmbench train --algo dreamerv3`: a tiny `debug` run on Highway-v1 at 64 px writes a labelled v1
checkpoint, its replay, trainer state and learning curve; `--resume` continues from the saved replay and
step count; `pvmbench eval` scores the checkpoint; the same seed gives the same weights and actions; bad
options get one line."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from pvmbench.agents.checkpoint import load_checkpoint

ENV = "pvmbench/Highway-v1"
# debug: batches of 8 x 32 steps, so ratio 8 owes one update per 32 env steps.
TINY = ("--env", ENV, "--size", "debug", "--image-size", "64", "--train-ratio", "8", "--eval-every", "0",
        "--no-progress")


def _cli(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PVMBENCH_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "pvmbench.cli", *args], capture_output=True, text=True, env=env)


def _replay_rows(folder) -> list[int]:
    return json.loads((folder / "meta.json").read_text())["count"]


def test_train_resume_and_eval(tmp_path):
    out = tmp_path / "agent.pt"
    run = _cli(tmp_path, "train", "--algo", "dreamerv3", *TINY, "--env-steps", "64", "--num-envs", "2",
               "--eval-episodes", "0", "--out", str(out))
    assert run.returncode == 0, run.stderr
    checkpoint = load_checkpoint(out)
    assert checkpoint["agent"] == "dreamerv3" and checkpoint["env"] == ENV
    meta = checkpoint["meta"]
    assert meta["label"] == "dreamerv3-cnn/scratch" and meta["size"] == "debug"
    assert (meta["env_steps"], meta["updates"]) == (64, 2)  # 64 * 8 / (8 * 32)
    assert checkpoint["config"]["env_kwargs"] == {"image_size": 64}
    assert any(k.startswith("world_model.encoder.") for k in checkpoint["state_dict"])  # a scratch CNN is trained
    assert _replay_rows(tmp_path / "agent.replay") == [33, 33]  # each slot: the first frame + 32 steps
    first_images = np.load(tmp_path / "agent.replay" / "image.npy")

    resumed = _cli(tmp_path, "train", "--algo", "dreamerv3", *TINY, "--env-steps", "96", "--num-envs", "2",
                   "--eval-episodes", "2", "--resume", "--out", str(out))
    assert resumed.returncode == 0, resumed.stderr
    meta = load_checkpoint(out)["meta"]
    assert (meta["env_steps"], meta["updates"]) == (96, 3)
    # The saved rows are kept and new ones appended (a fresh 96-step run would hold 49 per slot).
    assert _replay_rows(tmp_path / "agent.replay") == [50, 50]
    assert np.array_equal(np.load(tmp_path / "agent.replay" / "image.npy")[:, :33], first_images)
    with open(tmp_path / "agent.curve.csv") as f:
        curve = list(csv.DictReader(f))
    assert [int(r["env_steps"]) for r in curve] == [64, 96]
    assert [int(r["updates"]) for r in curve] == [2, 3]
    assert curve[0]["eval_score"] == "" and float(curve[-1]["loss"]) > 0  # the first run did not evaluate
    low, score, high = (float(curve[-1][k]) for k in ("eval_score_ci_low", "eval_score", "eval_score_ci_high"))
    assert low <= score <= high
    assert float(curve[-1]["wall_s"]) > float(curve[0]["wall_s"])  # wall time carries on across the resume

    results = tmp_path / "rows.parquet"
    evaluation = _cli(tmp_path, "eval", "--agent", str(out), "--shift", "id", "--episodes", "2", "--num-envs", "2",
                      "--workers", "0", "--out", str(results), "--no-progress")
    assert evaluation.returncode == 0, evaluation.stderr
    import pandas as pd

    rows = pd.read_parquet(results)
    assert list(rows["agent_label"]) == ["dreamerv3-cnn/scratch"] * 2 and rows["status"].eq("ok").all()
    # The curve's last evaluation played the episodes pvmbench eval plays at the same seed and batch size:
    # same scenarios, same deterministic actor, so the same score.
    assert load_checkpoint(out)["meta"]["eval"]["episodes"] == 2
    assert rows["normalised_score"].mean() == pytest.approx(float(curve[-1]["eval_score"]), abs=1e-9)


def _train_in_process(out, seed: int):
    from pvmbench.agents.dreamerv3.train import DreamerTrainConfig, train_dreamerv3

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        cfg = DreamerTrainConfig(env=ENV, size="debug", image_size=64, env_steps=40, train_ratio=8, seed=seed,
                                 eval_every=0, eval_episodes=0)
        return train_dreamerv3(cfg, out, progress=False)
    finally:
        torch.set_num_threads(threads)


def test_same_seed_gives_identical_weights_and_actions(tmp_path):
    from pvmbench.agents.registry import get_agent_factory
    from pvmbench.envs.contract import env_contract

    paths = [tmp_path / "a.pt", tmp_path / "b.pt"]
    for path in paths:
        assert _train_in_process(path, seed=3)["updates"] == 1
    a, b = (load_checkpoint(p) for p in paths)
    assert a["state_dict"].keys() == b["state_dict"].keys()
    assert all(torch.equal(a["state_dict"][k], b["state_dict"][k]) for k in a["state_dict"])

    contract = env_contract(ENV, {"image_size": 64})
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (2, 3, 64, 64, 3), dtype=np.uint8)  # 2 steps x 3 slots
    speeds = rng.uniform(0, 30, (2, 3, 1)).astype(np.float32)  # Highway-v1's `state`, the speedometer
    actions, agents = [], []
    for checkpoint in (a, b):
        agent = get_agent_factory("dreamerv3")(checkpoint, contract.observation_space, contract.action_space, 3)
        agent.reset(np.ones(3, bool))
        actions.append([agent.act({"image": step, "state": speed}) for step, speed in zip(frames, speeds, strict=True)])
        agents.append(agent)
    assert np.array_equal(actions[0], actions[1])
    assert np.all(np.abs(actions[0]) <= 1.0) and actions[0][0].shape == (3, 2)
    # Slot 0 starts a new episode: its latent restarts from zero, the others carry their history on.
    agents[0].reset(np.array([True, False, False]))
    again = agents[0].act({"image": frames[0], "state": speeds[0]})
    assert np.array_equal(again[0], actions[0][0][0])
    assert not np.array_equal(again[1:], actions[0][0][1:])

    _train_in_process(tmp_path / "c.pt", seed=4)
    c = load_checkpoint(tmp_path / "c.pt")
    assert not torch.equal(a["state_dict"]["actor_critic.actor.mean.weight"],
                           c["state_dict"]["actor_critic.actor.mean.weight"])


@pytest.mark.parametrize(
    "args, message",
    [
        (("--size", "huge"), "--size 'huge': accepted: debug, 12m, 25m, 50m"),
        (("--env-steps", "-5"), "--env-steps -5: accepted: an integer >= 1"),
        (("--mode", "frozen"), "encoder 'cnn' mode 'frozen': accepted: scratch"),
        (("--resume",), "--resume: "),
    ],
)
def test_bad_dreamerv3_options_get_one_line(tmp_path, args, message):
    run = _cli(tmp_path, "train", "--algo", "dreamerv3", "--env", ENV, "--size", "debug", "--out",
               str(tmp_path / "x.pt"), *args)
    assert run.returncode != 0
    assert message in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert not (tmp_path / "x.pt").exists()


def test_pretrained_encoder_trains_through_the_cli_and_scores(tmp_path):
    """The study's way through the CLI: a Hugging Face backbone by directory, `partial`; its label names
    encoder and mode, its frozen embeddings leave training bit-identical, and `pvmbench eval` scores it."""
    pytest.importorskip("transformers")
    from safetensors.torch import load_file

    from tests.fixtures.hf_models import save_tiny_vit

    vit = save_tiny_vit(tmp_path / "tiny-vit")
    out = tmp_path / "agent.pt"
    run = _cli(tmp_path, "train", "--algo", "dreamerv3", *TINY, "--encoder", f"hf:{vit}", "--mode", "partial",
               "--env-steps", "32", "--eval-episodes", "0", "--out", str(out))
    assert run.returncode == 0, run.stderr
    checkpoint = load_checkpoint(out)
    assert checkpoint["meta"]["label"] == "dreamerv3-hf:tiny-vit/partial"
    saved = load_file(vit / "model.safetensors")
    for name in ("embeddings.patch_embeddings.projection.weight", "embeddings.position_embeddings"):
        assert torch.equal(checkpoint["state_dict"][f"world_model.encoder.model.{name}"], saved[name]), name

    results = tmp_path / "rows.parquet"
    evaluation = _cli(tmp_path, "eval", "--agent", str(out), "--shift", "id", "--episodes", "1", "--workers", "0",
                      "--out", str(results), "--no-progress")
    assert evaluation.returncode == 0, evaluation.stderr
    import pandas as pd

    rows = pd.read_parquet(results)
    assert list(rows["agent_label"]) == ["dreamerv3-hf:tiny-vit/partial"] and rows["status"].eq("ok").all()
