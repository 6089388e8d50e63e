"""Adds (or replaces) reference checkpoints in checkpoints/MANIFEST.json and drops retired envs' entries.

    .venv/bin/python scripts/update_checkpoint_manifest.py [--retire-env ENV ...] CHECKPOINT.pt ...

Each entry records the checkpoint's sha256, training settings from its meta, the command that trains it
(relative paths) and the published result files that hold its rows (results/published/<name>*.parquet,
found by the checkpoint's sha256). A checkpoint not committed to git is listed with in_repo false.
tests/integration/test_published_entries.py checks the manifest against the repo.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from pvmbench.agents.checkpoint import checkpoint_sha256, load_checkpoint  # noqa: E402

MANIFEST = ROOT / "checkpoints" / "MANIFEST.json"


def _tracked(path: pathlib.Path) -> bool:
    return subprocess.run(["git", "ls-files", "--error-unmatch", str(path)], cwd=ROOT, capture_output=True).returncode == 0


def _results(sha: str) -> list[str]:
    out = []
    for parquet in sorted((ROOT / "results" / "published").glob("*.parquet")):
        if sha in set(pd.read_parquet(parquet, columns=["checkpoint_sha256"])["checkpoint_sha256"]):
            out.append(parquet.relative_to(ROOT).as_posix())
    return out


def _data_flags(meta: dict) -> list[str]:
    """The flags that fix a checkpoint's data, spelled out so that its command still trains it after the
    CLI's per-env defaults move (older checkpoints lack some of these meta fields)."""
    flags = [f"--demos {meta['demos']}", f"--demo-seed {meta['demo_seed']}"]
    if meta.get("level"):
        flags.append(f"--level {meta['level']}")
    if "demo_noise" in meta:
        flags.append(f"--demo-noise {meta['demo_noise']['sigma']:g}")
    if "pad" in meta.get("augmentation", {}):
        flags.append(f"--aug-pad {meta['augmentation']['pad']}")
    dagger = meta.get("dagger")
    if dagger is not None:
        flags.append(f"--dagger-rounds {dagger['rounds']}")
        if dagger["rounds"]:
            flags.append(f"--dagger-episodes {dagger['episodes_per_round']}")
    return flags


def entry(path: pathlib.Path) -> dict:
    checkpoint = load_checkpoint(path)
    meta, config, env = checkpoint["meta"], checkpoint["config"], checkpoint["env"]
    sha = checkpoint_sha256(path)
    size = config.get("env_kwargs", {}).get("image_size")
    options = [f"--encoder-option {k}={v}" for k, v in sorted(config.get("encoder_options", {}).items())]
    command = " ".join(["pvmbench train --algo bc", f"--env {env}", f"--encoder {config['encoder']}", *options,
                        *([f"--neck {config['neck']}"] if "neck" in config else []),
                        f"--mode {config['mode']}", f"--image-size {size}", *_data_flags(meta),
                        f"--steps {meta['steps']}", *([f"--batch {meta['batch']}"] if "batch" in meta else []),
                        f"--seed {meta['seed']}",
                        f"--device {meta.get('device', 'cpu')}", f"--out checkpoints/{path.name}"])
    return {"file": f"checkpoints/{path.name}", "in_repo": _tracked(path), "env": env, "label": meta["label"],
            "seed": meta["seed"], "demo_seed": meta["demo_seed"], "demos": meta["demos"], "frames": meta["frames"],
            "steps": meta["steps"], "final_loss": round(meta["final_loss"], 5),
            "val_loss": round(meta["val_loss"], 5) if meta.get("val_loss") is not None else None,
            "sha256": sha, "bytes": path.stat().st_size, "trained_on": meta.get("device"),
            "train_seconds": meta.get("train_seconds"), "train_command": command, "results": _results(sha)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="*", type=pathlib.Path)
    parser.add_argument("--retire-env", action="append", default=[])
    args = parser.parse_args()
    doc = json.loads(MANIFEST.read_text())
    new = {f"checkpoints/{p.name}": entry(p) for p in args.checkpoints}
    kept = [e for e in doc["checkpoints"] if e["env"] not in args.retire_env and e["file"] not in new]
    doc["checkpoints"] = kept + list(new.values())
    MANIFEST.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"checkpoints/MANIFEST.json: {len(doc['checkpoints'])} checkpoints ({len(new)} added or replaced)")


if __name__ == "__main__":
    main()
