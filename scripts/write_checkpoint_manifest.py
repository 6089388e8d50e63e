"""Writes checkpoints/MANIFEST.json: every reference BC checkpoint (in the repo or not) with its sha256,
training settings, the command that trains it, and its published result files.

    .venv/bin/python scripts/write_checkpoint_manifest.py DIR_WITH_ALL_CHECKPOINTS [TRAIN_LOG.jsonl ...]

TRAIN_LOG files are the JSON lines printed by scripts/train_reference_checkpoints.py (for the seconds
each run took). tests/integration/test_published_entries.py checks the manifest against the repo.
"""

from __future__ import annotations

import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pvmbench.agents.checkpoint import checkpoint_sha256, load_checkpoint  # noqa: E402

ABOUT = ("pvmbench's reference BC checkpoints. Table-top: 60 scripted-oracle demos at id; driving: 16 "
         "scripted-driver demos at train; both 96 px, demo seed 0, 1500 steps, batch 64. Seed 0 of each "
         "configuration is in the repository; the other seeds are too large to keep in git (15 MB each for "
         "partial/full) and are listed with their sha256 and the command that trains them. Their result rows "
         "are published. GPU training is not bit-reproducible: a retrained checkpoint has another sha256 and "
         "scores within its seeds' spread, not identical rows.")
PUBLISHED_PREFIX = {"pvmbench/TableTopPick-v0": "tabletop_", "pvmbench/Highway-v0": "highway_"}


def entry(path: pathlib.Path, seconds: dict) -> dict:
    checkpoint = load_checkpoint(path)
    meta, config = checkpoint["meta"], checkpoint["config"]
    env = checkpoint["env"]
    stem = path.stem.replace("bc_highway_", "bc_")
    published = f"results/published/{PUBLISHED_PREFIX[env]}{stem}"
    env_option = "" if env == "pvmbench/TableTopPick-v0" else f" --env {env} --demos {meta['demos']}"
    return {
        "file": f"checkpoints/{path.name}", "in_repo": (ROOT / "checkpoints" / path.name).exists(),
        "env": env, "label": meta["label"], "seed": meta["seed"], "demo_seed": meta["demo_seed"],
        "demos": meta["demos"], "frames": meta["frames"], "steps": meta["steps"],
        "final_loss": round(meta["final_loss"], 5), "sha256": checkpoint_sha256(path), "bytes": path.stat().st_size,
        "trained_on": "NVIDIA H200 (torch 2.11.0+cu130)" if meta.get("device") == "cuda" else meta.get("device"),
        "train_seconds": seconds.get(path.name),
        "train_command": f"pvmbench train --algo bc{env_option} --encoder {config['encoder']} --mode {config['mode']} "
                         f"--seed {meta['seed']} --device {meta.get('device', 'cpu')} --out checkpoints/{path.name}",
        "results": [f"{published}.parquet", f"{published}_sweep.parquet"],
    }


def main() -> None:
    source = pathlib.Path(sys.argv[1])
    seconds = {}
    for log in sys.argv[2:]:
        for line in pathlib.Path(log).read_text().splitlines():
            record = json.loads(line)
            seconds[pathlib.Path(record["out"]).name] = record["seconds"]
    entries = [entry(p, seconds) for p in sorted(source.glob("bc_*.pt"))]
    doc = {"about": ABOUT,
           "all_seeds_command": "python scripts/train_reference_checkpoints.py --out checkpoints/ --seeds 0 1 2 "
                                "--device cuda --jobs 6",
           "checkpoints": entries}
    (ROOT / "checkpoints" / "MANIFEST.json").write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote checkpoints/MANIFEST.json: {len(entries)} checkpoints, {sum(e['in_repo'] for e in entries)} in the repo")


if __name__ == "__main__":
    main()
