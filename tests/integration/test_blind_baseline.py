"""The blind baseline: a task that needs vision is one the best constant action cannot win.

Reads the published blind rows (scripts/publish_tabletop_v1.sh, scripts/publish_highway_v1.sh): at every
level of every embedded env, and its normalised ID score at most 0.2. Highway-v0 failed it (full throttle,
no steering scored about 1.7); Highway-v1 is the fix, and v0's rows are retired, as are TableTopPick-v0's.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pandas as pd
import pytest

from pvmbench.agents.checkpoint import load_checkpoint
from pvmbench.envs import HIGHWAY_V1_ID, TABLETOP_V1_ID
from pvmbench.envs.contract import env_contract
from pvmbench.shifts.spec import LEVELS

ROOT = pathlib.Path(__file__).resolve().parents[2]
PUBLISHED = {TABLETOP_V1_ID: "tabletop_v1_blind.parquet", HIGHWAY_V1_ID: "highway_blind.parquet"}
BLIND_CEILING = 0.2


@pytest.mark.parametrize("env_id", sorted(PUBLISHED))
def test_blind_id_score_is_at_most_0_2(env_id):
    rows = pd.read_parquet(ROOT / "results" / "published" / PUBLISHED[env_id])
    assert set(rows["env_id"]) == {env_id}
    assert set(LEVELS) <= set(rows["level"]) and (rows["status"] == "ok").all()
    assert rows.loc[rows["level"] == "id", "normalised_score"].mean() <= BLIND_CEILING


def test_search_picks_the_best_constant_action_on_seeds_apart_from_evaluation(tmp_path):
    out = tmp_path / "blind.pt"
    run = subprocess.run([sys.executable, "-m", "pvmbench.cli", "train", "--algo", "blind", "--env", TABLETOP_V1_ID,
                          "--episodes", "1", "--out", str(out), "--no-progress"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    checkpoint = load_checkpoint(out)
    meta = checkpoint["meta"]
    grid = env_contract(TABLETOP_V1_ID).env_class.blind_grid
    assert meta["candidates"] == len(grid) == len(meta["mean_returns"])
    best = max(range(len(grid)), key=lambda i: (meta["mean_returns"][i], -i))
    assert checkpoint["config"]["action"] == list(grid[best])
    assert meta["search_stream"] == "blind-search" and meta["search_level"] == "id"
