"""The study's figures from real `run_eval` rows: every file written, valid, byte-stable, the right numbers."""

from __future__ import annotations

import logging
import math
import pathlib

import numpy as np
import pytest
from PIL import Image

from pvmbench.benchmark.evaluate import EvalConfig, run_eval
from pvmbench.benchmark.summary import summary_table
from pvmbench.cli import main
from pvmbench.envs.gallery import gallery_shifts, write_gallery
from pvmbench.leaderboard import figure_data as fd
from pvmbench.leaderboard.figures import write_figures
from pvmbench.leaderboard.rows import load_results

pytest.importorskip("seaborn")

ENV = "pvmbench/TableTopPick-v0"
FIGURES = ("scores_by_level", "severity_ladder", "robustness_scatter", "gallery_pvmbench_TableTopPick-v0")


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> pathlib.Path:
    """Real runs: scripted and random on id/easy/hard, and a small severity sweep of each."""
    out = tmp_path_factory.mktemp("results")
    for name, agent, shift in [("scripted", "scripted", "all"), ("random", "random", "all"),
                               ("scripted_sweep", "scripted", "severity=0,0.5,1"),
                               ("random_sweep", "random", "severity=0,1")]:
        run_eval(EvalConfig(agent=agent, shift=shift, episodes=2, env_kwargs={"image_size": 64}, workers=0,
                            num_envs=2, progress=False, out=out / f"{name}.parquet"))
    return out


@pytest.fixture(scope="module")
def rows(results):
    return load_results([results])


@pytest.fixture(scope="module")
def gallery(tmp_path_factory) -> pathlib.Path:
    return write_gallery(ENV, tmp_path_factory.mktemp("gallery") / "gallery.png", 2, gallery_shifts(ENV, "id,hard"), 64)


@pytest.fixture(scope="module")
def figures(rows, gallery, tmp_path_factory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("figures")
    write_figures(rows, out, {ENV: gallery})
    return out


def test_every_figure_is_written_as_png_and_pdf(figures):
    written = sorted(p.name for p in figures.iterdir())
    assert written == sorted(f"{name}.{ext}" for name in FIGURES for ext in ("png", "pdf"))
    for name in FIGURES:
        assert (figures / f"{name}.pdf").read_bytes().startswith(b"%PDF-")
        with Image.open(figures / f"{name}.png") as image:
            image.verify()
        with Image.open(figures / f"{name}.png") as image:
            width, height = image.size
            # 200 dpi at one (3.5 in) or two (7 in) paper columns, at most about a page high
            assert width in (700, 1400), (name, image.size)
            assert 400 <= height <= 2000, (name, image.size)
            pixels = np.asarray(image.convert("L"))
            assert pixels.std() > 10, f"{name} looks blank"


def test_rebuilding_gives_byte_identical_files(rows, gallery, figures, tmp_path):
    paths = write_figures(rows, tmp_path, {ENV: gallery})
    assert len(paths) == 2 * len(FIGURES)
    for path in paths:
        assert path.read_bytes() == (figures / path.name).read_bytes(), f"{path.name} differs on a rebuild"


def test_level_scores_match_hand_computed_means(rows):
    scores = fd.level_scores(rows)
    assert set(scores["level"]) == {"id", "easy", "hard"}  # sweep rows are not named levels
    for (agent, level), group in rows[rows["severity"].isna()].groupby(["agent_label", "level"]):
        scored = group[group["status"] != "failed"]["normalised_score"]
        row = scores[(scores["agent_label"] == agent) & (scores["level"] == level)].iloc[0]
        assert row["n"] == len(scored) and row["mean"] == pytest.approx(scored.mean(), abs=1e-12)
        assert row["ci_low"] <= row["mean"] <= row["ci_high"]
    # the same numbers as the end-of-run summary, whose code path is separate
    scripted = rows[(rows["agent_label"] == "scripted") & rows["severity"].isna()]
    table = summary_table(scripted, ["id", "easy", "hard"]).set_index("level")
    mine = scores[scores["agent_label"] == "scripted"].set_index("level")
    for level in ("id", "easy", "hard"):
        assert mine.loc[level, ["mean", "ci_low", "ci_high"]].tolist() == pytest.approx(
            table.loc[level, ["score", "score_ci_low", "score_ci_high"]].tolist(), abs=1e-12)


def test_failed_episodes_are_counted_not_scored(rows):
    broken = rows.copy()
    target = broken.index[(broken["agent_label"] == "scripted") & (broken["level"] == "id")][0]
    broken.loc[target, ["status", "normalised_score"]] = ["failed", math.nan]
    row = fd.level_scores(broken).query("agent_label == 'scripted' and level == 'id'").iloc[0]
    kept = broken[(broken["agent_label"] == "scripted") & (broken["level"] == "id") & (broken["status"] == "ok")]
    assert row["failed"] == 1 and row["n"] == len(kept)
    assert row["mean"] == pytest.approx(kept["normalised_score"].mean(), abs=1e-12)


def test_severity_curve_and_robustness_match_the_rows(rows):
    curve = fd.severity_curve(rows)
    scripted = curve[curve["agent_label"] == "scripted"]
    assert scripted["severity"].tolist() == [0.0, 0.5, 1.0] and set(scripted["factors"]) == {"all"}
    for r in curve.itertuples():
        at = rows[(rows["agent_label"] == r.agent_label) & (rows["severity"] == r.severity)
                  & (rows["status"] != "failed")]
        assert r.n == len(at) and r.mean == pytest.approx(at["normalised_score"].mean(), abs=1e-12)
    rob = fd.robustness(rows).set_index("agent_label")
    named = rows[rows["severity"].isna() & (rows["status"] != "failed") & (rows["agent_label"] == "scripted")]
    id_mean = named[named["level"] == "id"]["normalised_score"].mean()
    hard_mean = named[named["level"] == "hard"]["normalised_score"].mean()
    assert rob.loc["scripted", "id_score"] == pytest.approx(id_mean, abs=1e-12)
    assert rob.loc["scripted", "drop_pct"] == pytest.approx(100 * (1 - hard_mean / id_mean))
    assert rob.loc["scripted", "drop_shown"]


def test_agent_labels_parse_and_group_by_encoder_then_mode():
    assert fd.parse_label("dinov2/partial") == ("dinov2", "partial")
    assert fd.parse_label("scripted") == ("scripted", "")
    labels = ["scripted", "efficientnet-lite0/full", "random", "cnn/scratch", "efficientnet-lite0/frozen"]
    assert fd.agent_order(labels) == ["cnn/scratch", "efficientnet-lite0/frozen", "efficientnet-lite0/full",
                                      "random", "scripted"]
    assert fd.encoder_order(labels) == ["cnn", "efficientnet-lite0", "random", "scripted"]


def test_severity_figure_is_skipped_without_sweep_rows(rows, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="pvmbench.leaderboard.figures"):
        paths = write_figures(rows[rows["severity"].isna()], tmp_path)
    assert sorted(p.name for p in paths) == sorted(f"{n}.{e}" for n in ("scores_by_level", "robustness_scatter") for e in ("png", "pdf"))
    assert not list(tmp_path.glob("severity_ladder.*"))
    assert "severity_ladder skipped: no severity-sweep rows" in caplog.text


def test_cli_writes_the_figures(results, gallery, tmp_path, capsys):
    out = tmp_path / "figures"
    rc = main(["plot", str(results), "--out", str(out), "--gallery", f"{ENV}={gallery}"])
    assert rc == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.{e}" for n in FIGURES for e in ("png", "pdf"))
    assert capsys.readouterr().out.count("wrote ") == 2 * len(FIGURES)


@pytest.mark.parametrize("args, message", [
    (["--gallery", "no-equals-sign"], "--gallery 'no-equals-sign': accepted: ENV_ID=PATH.png"),
    (["--gallery", f"{ENV}=/nonexistent/gallery.png"], "no such file"),
])
def test_cli_bad_gallery_is_one_line(results, tmp_path, capsys, args, message):
    rc = main(["plot", str(results), "--out", str(tmp_path / "figures"), *args])
    err = capsys.readouterr().err
    assert rc == 2 and message in err and err.count("\n") == 1
    assert not (tmp_path / "figures").exists() or not list((tmp_path / "figures").iterdir())
