"""The scientific check of BENCHMARKS.md: do pretrained encoders keep more of their score under shift
than a CNN trained from scratch? Reads the published rows and writes, into results/scientific_check/:
drops.csv, versus_scratch.csv, drops.md (the tables quoted in BENCHMARKS.md) and drops.png (score by level with CIs, and the
hard drop with its CI, per entry and env).

    .venv/bin/python scripts/scientific_check.py [results/published]
"""

from __future__ import annotations

import pathlib
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pvmbench.leaderboard.drops import drop_markdown, drop_table, versus_baseline, versus_markdown  # noqa: E402
from pvmbench.leaderboard.rows import load_results  # noqa: E402
from pvmbench.shifts.spec import LEVELS  # noqa: E402


def plot(table, out: pathlib.Path) -> None:
    envs = sorted(table["env_id"].unique())
    fig, axes = plt.subplots(len(envs), 2, figsize=(11, 4.2 * len(envs)), squeeze=False)
    for row, env_id in zip(axes, envs, strict=True):
        env_table = table[table["env_id"] == env_id]
        labels = sorted(env_table["agent_label"].unique())
        ax = row[0]
        for i, label in enumerate(labels):
            entry = env_table[env_table["agent_label"] == label].set_index("level").reindex(list(LEVELS))
            x = [j + (i - (len(labels) - 1) / 2) * 0.12 for j in range(len(LEVELS))]
            ax.errorbar(x, entry["score"], yerr=[entry["score"] - entry["score_ci_low"],
                                                  entry["score_ci_high"] - entry["score"]],
                        marker="o", capsize=3, label=label)
        ax.axhline(0, color="grey", lw=0.8, ls=":")
        ax.set_xticks(range(len(LEVELS)), LEVELS)
        ax.set_ylabel("normalised score (0 = random)")
        ax.set_title(f"{env_id}: score by level, 95% CI")
        ax.legend(fontsize=8)
        ax = row[1]
        hard = env_table[env_table["level"] == "hard"].set_index("agent_label").reindex(labels)
        y = range(len(labels))
        finite_hi = hard["drop_ci_high"].where(hard["drop_ci_high"].abs() < 1e6)
        ax.errorbar(hard["drop_pct"], y, xerr=[(hard["drop_pct"] - hard["drop_ci_low"]).clip(lower=0),
                                               (finite_hi - hard["drop_pct"]).clip(lower=0)],
                    fmt="o", capsize=3, color="black")
        ax.axvspan(87, 106, color="tab:red", alpha=0.15, label="study: scratch CNN (87–106%)")
        ax.axvspan(28, 58, color="tab:green", alpha=0.15, label="study: frozen/partial PVM (28–58%)")
        ax.set_yticks(list(y), labels)
        ax.set_xlabel("drop at hard vs id (%), 95% CI")
        ax.set_title(f"{env_id}: drop under hard")
        ax.set_ylim(-0.6, len(labels) - 0.4)
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main() -> None:
    source = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "results" / "published"
    out = ROOT / "results" / "scientific_check"
    out.mkdir(parents=True, exist_ok=True)
    rows = load_results([source])
    table, versus = drop_table(rows), versus_baseline(rows)
    table.to_csv(out / "drops.csv", index=False, float_format="%.4f")
    versus.to_csv(out / "versus_scratch.csv", index=False, float_format="%.4f")
    text = drop_markdown(table) + "\n" + versus_markdown(versus)
    (out / "drops.md").write_text(text)
    plot(table, out / "drops.png")
    print(text)
    print(f"wrote {out}/drops.csv, versus_scratch.csv, drops.md, drops.png")


if __name__ == "__main__":
    main()
