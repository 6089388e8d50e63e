"""`pvmbench analyze`: each analysis writes its CSV and PNG; bad input is one line and exit 2.

Tiny budgets on the committed checkpoints; ViT attention uses tiny DINOv2/CLIP models written by
save_pretrained (real weights are not available offline), as tests/unit/test_encoders.py does.
"""
# ruff: noqa: E402  (HF_HUB_OFFLINE must be set before transformers is first imported)

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pathlib

import pandas as pd
import pytest
import torch

from pvmbench.cli import main

ROOT = pathlib.Path(__file__).resolve().parents[2]
# TableTopPick-v1 checkpoints: their policies read obs["state"] beside the image, so saliency and occlusion
# must hand each frame's state to the head.
CNN = str(ROOT / "checkpoints" / "bc_tabletop_v1_cnn_scratch_seed0.pt")
PARTIAL = str(ROOT / "checkpoints" / "bc_tabletop_v1_efficientnet-lite0_partial_seed0.pt")
SMALL = {"hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 2, "num_hidden_layers": 2}


@pytest.fixture(autouse=True)
def one_thread():
    # Two intra-op threads on two busy cores are slower than one.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def run(*args):
    return main(["analyze", *args, "--no-progress"])


def written(out, name, pngs=None):
    for png in pngs or [name]:
        assert (out / f"{png}.png").stat().st_size > 5000
    return pd.read_csv(out / f"{name}.csv")


def test_forgetting_writes_csv_and_png(tmp_path):
    assert run("forgetting", "--checkpoint", PARTIAL, "--objects", "4", "--views", "2", "--k", "3",
               "--out", str(tmp_path)) == 0
    table = written(tmp_path, "forgetting")
    assert list(table["encoder"]) == ["efficientnet-lite0/pretrained", "efficientnet-lite0/partial",
                                      "efficientnet-lite0/random-init"]
    assert list(table["role"]) == ["pretrained", "checkpoint", "floor"]
    pretrained, partial = table.iloc[0], table.iloc[1]
    assert pretrained["cka"] == pytest.approx(1.0) and pretrained["knn_diff"] == 0
    assert partial["cka_ci_low"] <= partial["cka"] <= partial["cka_ci_high"]
    assert partial["knn_ci_low"] <= partial["knn_accuracy"] <= partial["knn_ci_high"]
    assert table["knn_accuracy"].between(0, 1).all() and (table["images"] == 8).all()
    assert (table["chance"] == 0.25).all() and table["cka_null_p95"].notna().all()


def test_invariance_writes_csv_and_png(tmp_path):
    assert run("invariance", "--checkpoint", CNN, "--seeds", "2", "--steps", "0,5",
               "--levels", "id,hard,hard:camera,hard:no-camera", "--severities", "0.5", "--out", str(tmp_path)) == 0
    table = written(tmp_path, "invariance").set_index(["encoder", "condition"])
    frames = pd.read_csv(tmp_path / "invariance_frames.csv")
    conditions = ["id", "hard", "hard:camera", "hard:no-camera", "severity=0.5"]
    assert len(frames) == 2 * 2 * len(conditions) * 2  # seeds x steps x conditions x (cnn, pixels)
    assert set(table.index) == {(e, c) for e in ("cnn/scratch", "pixels 24x24") for c in conditions}
    cnn = table.loc["cnn/scratch"]
    assert cnn.loc["id", "cosine"] == pytest.approx(1.0) and cnn.loc["id", "top1"] == 1.0  # same frames
    assert cnn.loc["hard", "cosine"] < 1.0 and (cnn["top1_chance"] == 0.25).all()
    assert (cnn["top1_ci_low"] <= cnn["top1"]).all() and (cnn["top1"] <= cnn["top1_ci_high"]).all()
    pixels = table.loc["pixels 24x24"]
    assert (pixels["top1_vs_pixels"] == 0).all()  # the floor against itself
    assert cnn["top1_vs_pixels"].to_numpy() == pytest.approx((cnn["top1"] - pixels["top1"]).to_numpy())
    relabelled = cnn["relabelled"]
    assert relabelled["id"] == 0 and relabelled["hard:no-camera"] == 0 and relabelled["hard:camera"] > 0


def test_attention_writes_csv_and_png_for_cnn_and_vits(tmp_path):
    transformers = pytest.importorskip("transformers")
    dinov2, clip = tmp_path / "dinov2", tmp_path / "clip"
    transformers.Dinov2Model(transformers.Dinov2Config(**SMALL, image_size=32, patch_size=8)).save_pretrained(dinov2)
    transformers.CLIPVisionModel(transformers.CLIPVisionConfig(**SMALL, image_size=28, patch_size=14)).save_pretrained(clip)
    out = tmp_path / "out"
    assert run("attention", "--checkpoint", CNN, "--vit", f"dinov2={dinov2}", "--vit", f"clip={clip}",
               "--seeds", "2", "--patches", "4", "--out", str(out)) == 0
    summary = written(out, "attention", ["attention", "attention_scores"])
    frames = pd.read_csv(out / "attention_frames.csv")
    assert set(frames["method"]) == {"grad-cam", "cls-attention"}
    assert len(frames) == 3 * 2 * 3  # 3 levels x 2 seeds x 3 encoders, every target in view
    assert frames["precision"].between(0, 1).all() and (frames["chance"] > 0).all()  # no NaN: empty maps kept
    assert set(frames.loc[frames["method"] == "cls-attention", "output"]) == {"features"}
    assert len(summary) == 3 * 4  # 3 encoders x (3 levels + all)
    assert summary["shuffled_p"].between(0, 1).all() and summary["occlusion_p"].between(0, 1).all()
    assert (summary["empty_maps"] >= 0).all() and summary["ceiling_at_grid"].between(0, 1).all()


@pytest.mark.parametrize("args, message", [
    (["forgetting", "--checkpoint", "missing.pt"], "missing.pt: no such checkpoint file"),
    (["invariance", "--checkpoint", CNN, "--severities", "2"], "--severities '2': accepted"),
    (["invariance", "--checkpoint", CNN, "--levels", "medium"], "medium"),
    (["attention", "--checkpoint", CNN, "--patches", "0"], "--patches 0: accepted"),
    (["attention", "--vit", "resnet=x"], "--vit 'resnet=x': accepted"),
    (["invariance", "--checkpoint", CNN, "--levels", "id:camera"], "id's appearance is the reference"),
    (["forgetting", "--checkpoint", CNN], "cnn/scratch has no pretrained self"),
    (["invariance", "--checkpoint", CNN, "--no-such-option"], "No such option"),
    (["saliency"], "No such command"),
])
def test_bad_input_is_one_line_and_exit_2(args, message, capsys, tmp_path):
    assert main(["analyze", *args, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err
