"""`pvmbench eval`: deterministic across batching and workers, resumable, robust to env failures."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from pvmbench.agents import save_checkpoint
from pvmbench.agents.checkpoint import checkpoint_sha256
from pvmbench.benchmark.episodes import plan_episodes
from pvmbench.benchmark.evaluate import EvalConfig, run_eval
from pvmbench.benchmark.results import COLUMNS
from pvmbench.errors import UserError
from tests.integration import faulty_env

SMALL = {"image_size": 64}


def evaluate(tmp_path, name, **kwargs) -> pd.DataFrame:
    defaults = dict(agent="random", shift="id,hard", episodes=3, seed=7, num_envs=1, workers=0,
                    out=tmp_path / f"{name}.parquet", env_kwargs=dict(SMALL), progress=False)
    defaults.update(kwargs)
    rows, _ = run_eval(EvalConfig(**defaults))
    return rows


def key_columns(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[["level", "episode_index", "episode_seed", "scenario", "return", "success", "length", "status"]]


@pytest.mark.parametrize("agent", ["random", "scripted"])
def test_scores_identical_whatever_num_envs_and_workers(tmp_path, agent):
    base = key_columns(evaluate(tmp_path, "a", agent=agent, num_envs=1, workers=0))
    for i, (num_envs, workers) in enumerate([(3, 1), (2, 2), (4, 0)]):
        other = key_columns(evaluate(tmp_path, f"b{i}", agent=agent, num_envs=num_envs, workers=workers))
        pd.testing.assert_frame_equal(base, other)
    assert (base["status"] == "ok").all()


def test_ray_executor_gives_the_same_rows(tmp_path):
    pytest.importorskip("ray", reason="Ray is the optional [ray] extra; CI installs it")
    local = key_columns(evaluate(tmp_path, "local", num_envs=2, workers=1))
    ray_rows = key_columns(evaluate(tmp_path, "ray", executor="ray", num_envs=2, workers=2))
    pd.testing.assert_frame_equal(local, ray_rows)


def test_rows_carry_the_design_columns_and_a_manifest(tmp_path):
    rows = evaluate(tmp_path, "cols", agent="scripted", shift="id", episodes=2)
    assert list(rows.columns) == list(COLUMNS)
    assert rows["suite"].iloc[0] == "tabletop-v2" and len(rows["suite_hash"].iloc[0]) == 16
    scenario = json.loads(rows["scenario"].iloc[0])
    assert scenario["seed"] == rows["episode_seed"].iloc[0]
    manifest = json.loads((tmp_path / "cols.manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["rows"] == 2
    assert {"pvmbench", "mujoco", "gymnasium", "torch"} <= set(manifest["versions"])
    assert not (tmp_path / "cols.parquet.parts").exists()


def test_checkpoint_label_and_sha_reach_the_rows(tmp_path):
    ckpt = tmp_path / "rand.pt"
    save_checkpoint(ckpt, agent="random", env="pvmbench/TableTopPick-v0", config={"env_kwargs": SMALL},
                    state_dict={}, meta={"label": "random/uniform"})
    rows = evaluate(tmp_path, "ck", agent=str(ckpt), shift="id", episodes=2, env_kwargs={})
    assert set(rows["agent_label"]) == {"random/uniform"}
    assert set(rows["checkpoint_sha256"]) == {checkpoint_sha256(ckpt)}


def test_existing_results_are_never_overwritten_without_resume(tmp_path):
    evaluate(tmp_path, "keep", shift="id", episodes=1)
    before = (tmp_path / "keep.parquet").read_bytes()
    with pytest.raises(UserError, match="already has results; pass --resume"):
        evaluate(tmp_path, "keep", shift="id", episodes=1)
    assert (tmp_path / "keep.parquet").read_bytes() == before


def test_resume_with_a_different_agent_is_refused(tmp_path):
    evaluate(tmp_path, "r", shift="id", episodes=1)
    with pytest.raises(UserError, match="--resume: agent differs"):
        evaluate(tmp_path, "r", agent="scripted", shift="id", episodes=1, resume=True)


@pytest.mark.parametrize("executor", ["local", "ray"])
def test_failed_episodes_are_recorded_retried_and_the_run_goes_on(tmp_path, executor):
    # Both executors build their runner the same way, so --retries and --step-timeout hold on Ray too.
    if executor == "ray":
        pytest.importorskip("ray", reason="Ray is the optional [ray] extra; CI installs it")
    fault_dir = tmp_path / "faults"
    fault_dir.mkdir()
    env_id = "tests.integration.faulty_env:Faulty-v0"
    rows = evaluate(tmp_path, "faults", env=env_id, shift="id", episodes=12, num_envs=2, workers=2, retries=1,
                    step_timeout=8.0, env_kwargs={**SMALL, "fault_dir": str(fault_dir)}, executor=executor)
    plan = plan_episodes(["id"], 12, 7)
    faults = {e.index: faulty_env.fault_of(e.seed) for e in plan}
    assert {faulty_env.RAISE_ONCE, faulty_env.NAN_ALWAYS, faulty_env.HANG_ONCE} <= set(faults.values())
    assert len(rows) == 12
    for row in rows.itertuples(index=False):
        fault = faults[row.episode_index]
        if fault == faulty_env.RAISE_ONCE:
            assert row.status == "retried" and "injected failure" in row.error and row.attempts == 2
        elif fault == faulty_env.NAN_ALWAYS:
            assert row.status == "failed" and "non-finite reward" in row.error and row.attempts == 2
            assert pd.isna(row.normalised_score)
        elif fault == faulty_env.HANG_ONCE:
            assert row.status == "retried" and "no reply within 8 s" in row.error
        elif executor == "ray" and row.status == "retried":
            # A Ray task's slots share one env host, so a hang there also restarts its neighbour's episode.
            assert "no reply within 8 s" in row.error and row.attempts == 2
        else:
            assert row.status == "ok" and row.error == ""


def _cli(*args) -> list[str]:
    return [sys.executable, "-m", "pvmbench.cli", *args]


def test_resume_after_kill_9_gives_exactly_the_uninterrupted_rows(tmp_path):
    common = ["eval", "--agent", "random", "--shift", "id", "--episodes", "40", "--seed", "3", "--image-size", "64",
              "--num-envs", "2", "--workers", "1", "--no-progress"]
    killed_out = tmp_path / "killed.parquet"
    proc = subprocess.Popen(_cli(*common, "--out", str(killed_out)), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    parts = tmp_path / "killed.parquet.parts"
    deadline = time.monotonic() + 120
    while len(list(parts.glob("part-*.parquet"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the eval and its env host, mid-run, no cleanup
    proc.wait()
    assert not killed_out.exists(), "the run finished before it could be killed; make it longer"
    written = len(pd.concat([pd.read_parquet(p) for p in parts.glob("part-*.parquet")]))
    assert 0 < written < 40
    subprocess.run(_cli(*common, "--out", str(killed_out), "--resume"), check=True, capture_output=True)
    full_out = tmp_path / "full.parquet"
    subprocess.run(_cli(*common, "--out", str(full_out)), check=True, capture_output=True)
    resumed, full = pd.read_parquet(killed_out), pd.read_parquet(full_out)
    assert len(resumed) == 40 and not resumed.duplicated(["level", "episode_index"]).any()
    pd.testing.assert_frame_equal(key_columns(resumed), key_columns(full))
    assert len(set(resumed["run_id"])) == 1  # a resumed run keeps its identity


def test_bad_checkpoint_is_one_line_on_the_cli(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(os.urandom(300))
    result = subprocess.run(_cli("eval", "--agent", str(bad), "--shift", "id"), capture_output=True, text=True)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and "Traceback" not in result.stderr


def test_unknown_agent_lists_the_accepted_ones():
    result = subprocess.run(_cli("eval", "--agent", "nobody", "--shift", "id"), capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip() == "pvmbench: error: unknown agent 'nobody'; accepted: bc, blind, dreamerv3, random, scripted, scripted-driver"


def test_inspect_shows_sha_and_parameters(tmp_path):
    import torch

    ckpt = tmp_path / "c.pt"
    save_checkpoint(ckpt, agent="random", env="pvmbench/TableTopPick-v0", config={"k": 1},
                    state_dict={"w": torch.zeros(3, 4)}, meta={"label": "x/y"})
    result = subprocess.run(_cli("inspect", str(ckpt)), capture_output=True, text=True, check=True)
    assert checkpoint_sha256(ckpt) in result.stdout and "parameters  12" in result.stdout
    assert '"label": "x/y"' in result.stdout

