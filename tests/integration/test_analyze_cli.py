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
CNN = str(ROOT / "checkpoints" / "bc_cnn_scratch_seed0.pt")
PARTIAL = str(ROOT / "checkpoints" / "bc_efficientnet-lite0_partial_seed0.pt")
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


def written(out, name):
    csv, png = out / f"{name}.csv", out / f"{name}.png"
    assert png.stat().st_size > 5000
    return pd.read_csv(csv)


def test_forgetting_writes_csv_and_png(tmp_path):
    assert run("forgetting", "--checkpoint", PARTIAL, "--objects", "4", "--views", "2", "--k", "3",
               "--out", str(tmp_path)) == 0
    table = written(tmp_path, "forgetting")
    assert list(table["encoder"]) == ["efficientnet-lite0/pretrained", "efficientnet-lite0/partial"]
    assert table.loc[0, "cka_vs_pretrained"] == pytest.approx(1.0)
    assert 0 < table.loc[1, "cka_vs_pretrained"] < 1
    assert table["knn_accuracy"].between(0, 1).all() and (table["images"] == 8).all()


def test_invariance_writes_csv_and_png(tmp_path):
    assert run("invariance", "--checkpoint", CNN, "--seeds", "1", "--steps", "0,5", "--levels", "id,hard",
               "--severities", "0.5", "--out", str(tmp_path)) == 0
    table = written(tmp_path, "invariance")
    assert len(table) == 1 * 2 * 3 and set(table["level"]) == {"id", "hard", "severity=0.5"}
    cosine = table.groupby("level")["cosine"].mean()
    assert cosine["id"] == pytest.approx(1.0)  # the same state under the same appearance
    assert cosine["hard"] < cosine["id"]


def test_attention_writes_csv_and_png_for_cnn_and_vits(tmp_path):
    transformers = pytest.importorskip("transformers")
    dinov2, clip = tmp_path / "dinov2", tmp_path / "clip"
    transformers.Dinov2Model(transformers.Dinov2Config(**SMALL, image_size=32, patch_size=8)).save_pretrained(dinov2)
    transformers.CLIPVisionModel(transformers.CLIPVisionConfig(**SMALL, image_size=28, patch_size=14)).save_pretrained(clip)
    out = tmp_path / "out"
    assert run("attention", "--checkpoint", CNN, "--vit", f"dinov2={dinov2}", "--vit", f"clip={clip}",
               "--seeds", "1", "--out", str(out)) == 0
    table = written(out, "attention")
    assert set(table["method"]) == {"grad-cam", "cls-attention"}
    assert len(table) == 3 * 3  # 3 levels x 1 seed x 3 encoders
    assert table["jaccard"].dropna().between(0, 1).all() and (table["mask_fraction"] > 0).all()
    assert (table.loc[table["method"] == "cls-attention", "jaccard"].notna()).all()


@pytest.mark.parametrize("args, message", [
    (["forgetting", "--checkpoint", "missing.pt"], "missing.pt: no such checkpoint file"),
    (["invariance", "--checkpoint", CNN, "--severities", "2"], "--severities '2': accepted"),
    (["invariance", "--checkpoint", CNN, "--levels", "medium"], "medium"),
    (["attention", "--checkpoint", CNN, "--top", "0"], "--top 0.0: accepted"),
    (["attention", "--vit", "resnet=x"], "--vit 'resnet=x': accepted"),
    (["forgetting", "--checkpoint", CNN], "cnn/scratch has no pretrained self"),
    (["invariance", "--checkpoint", CNN, "--no-such-option"], "No such option"),
    (["saliency"], "No such command"),
])
def test_bad_input_is_one_line_and_exit_2(args, message, capsys, tmp_path):
    assert main(["analyze", *args, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err
