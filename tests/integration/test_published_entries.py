"""The published reference entries: the committed leaderboard is what its command builds, and
re-evaluating a small budget of the entries reproduces the published rows (a CI regression check)."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

from pvmbench.leaderboard.build import build_leaderboard

ROOT = pathlib.Path(__file__).resolve().parents[2]
PUBLISHED = ROOT / "results" / "published"
LEADERBOARD = ROOT / "leaderboard"
TEXT_OUTPUTS = ("LEADERBOARD.md", "leaderboard.csv", "leaderboard.tex", "index.html", "leaderboard_factors.csv", "leaderboard_factors.tex")

pytestmark = pytest.mark.skipif(not PUBLISHED.is_dir(), reason="no results/published in this checkout")


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pvmbench.cli", *args], capture_output=True, text=True)


def test_committed_leaderboard_matches_a_rebuild(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # the page names result files as the build script does: results/published/...
    figures = tmp_path / "figures"
    assert _cli("plot", str(PUBLISHED), "--out", str(figures)).returncode == 0
    committed_figures = sorted((LEADERBOARD / "figures").glob("*.png"))
    rebuilt_figures = sorted(figures.glob("*.png"))
    assert [p.name for p in committed_figures] == [p.name for p in rebuilt_figures]
    for old, new in zip(committed_figures, rebuilt_figures, strict=True):
        assert old.read_bytes() == new.read_bytes(), f"{old.name} differs: run bash scripts/build_leaderboard.sh"
    # Galleries are rendered frames; the page only embeds them, so the committed ones are reused.
    galleries = sorted((LEADERBOARD / "galleries").glob("*.png"))
    build_leaderboard([pathlib.Path("results/published")], tmp_path / "out", figures=rebuilt_figures,
                      galleries=galleries)
    for name in TEXT_OUTPUTS:
        assert (tmp_path / "out" / name).read_text() == (LEADERBOARD / name).read_text(), (
            f"leaderboard/{name} is stale: run bash scripts/build_leaderboard.sh")


@pytest.mark.parametrize(
    "agent, env, shift, episodes",
    [
        ("scripted", "pvmbench/TableTopPick-v1", "all", 3),
        ("random", "pvmbench/TableTopPick-v1", "severity=0,0.25,0.5,0.75,1", 2),
        ("scripted-driver", "pvmbench/Highway-v1", "id,hard", 2),
        ("checkpoints/bc_tabletop_v1_cnn_scratch_seed0.pt", "pvmbench/TableTopPick-v1", "id,hard", 2),
        ("checkpoints/bc_tabletop_v1_efficientnet-lite0_partial_seed0.pt", "pvmbench/TableTopPick-v1", "hard", 2),
        # driving: map14 features, the conv neck and a fine-tuned middle of the encoder, 500-step episodes
        ("checkpoints/bc_highway_efficientnet-lite0_partial_seed0.pt", "pvmbench/Highway-v1", "id", 2),
    ],
)
def test_a_small_budget_reproduces_the_published_rows(tmp_path, monkeypatch, agent, env, shift, episodes):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "new.parquet"
    run = _cli("eval", "--agent", agent, "--env", env, "--shift", shift, "--episodes", str(episodes),
               "--seed", "0", "--out", str(out), "--no-progress")
    assert run.returncode == 0, run.stderr
    verdict = _cli("regress", "--baseline", str(PUBLISHED), "--results", str(out), "--only-evaluated")
    assert verdict.returncode == 0, verdict.stdout + verdict.stderr


def test_checkpoint_manifest_matches_the_committed_checkpoints_and_rows():
    import json

    import pandas as pd

    from pvmbench.agents.checkpoint import checkpoint_sha256, load_checkpoint

    manifest = json.loads((ROOT / "checkpoints" / "MANIFEST.json").read_text())
    for entry in manifest["checkpoints"]:
        path = ROOT / entry["file"]
        assert path.exists() == entry["in_repo"], entry["file"]
        if entry["in_repo"]:
            assert checkpoint_sha256(path) == entry["sha256"], f"{entry['file']} differs from MANIFEST.json"
            assert load_checkpoint(path)["meta"]["label"] == entry["label"]
        for result in entry["results"]:
            rows = pd.read_parquet(ROOT / result, columns=["checkpoint_sha256", "agent_label"])
            assert set(rows["checkpoint_sha256"]) == {entry["sha256"]}, result
            assert set(rows["agent_label"]) == {entry["label"]}, result


def test_every_manifest_train_command_names_only_options_pvmbench_train_accepts():
    """A researcher copies a checkpoint's train_command: each of its flags must still be one of the CLI's."""
    import json

    import typer.main

    from pvmbench.cli import app

    command = typer.main.get_command(app).commands["train"]
    accepted = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    manifest = json.loads((ROOT / "checkpoints" / "MANIFEST.json").read_text())
    for entry in manifest["checkpoints"]:
        words = entry["train_command"].split()
        assert words[:2] == ["pvmbench", "train"], entry["file"]
        flags = {w for w in words if w.startswith("--")}
        assert flags <= accepted, f"{entry['file']}: {sorted(flags - accepted)} are not options of pvmbench train"


def test_manifest_train_commands_carry_the_checkpoints_encoder_options_and_neck():
    """The v1 EfficientNet checkpoints use features=map (map14 and a conv neck on driving); a copied command
    without them trains another model."""
    import json

    from pvmbench.agents.checkpoint import load_checkpoint

    manifest = json.loads((ROOT / "checkpoints" / "MANIFEST.json").read_text())
    for entry in (e for e in manifest["checkpoints"] if e["in_repo"]):
        config = load_checkpoint(ROOT / entry["file"])["config"]
        words = entry["train_command"].split()
        given = {words[i + 1] for i, w in enumerate(words) if w == "--encoder-option"}
        assert given == {f"{k}={v}" for k, v in config.get("encoder_options", {}).items()}, entry["file"]
        necks = [words[i + 1] for i, w in enumerate(words) if w == "--neck"]
        assert necks == ([config["neck"]] if "neck" in config else []), entry["file"]
