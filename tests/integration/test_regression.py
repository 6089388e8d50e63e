"""`pvmbench regress`: real eval rows against a baseline; regressions, scenario changes and misses fail CI."""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess
import sys

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pvmbench.benchmark.evaluate import EvalConfig, run_eval
from pvmbench.benchmark.results import COLUMNS, SCHEMA
from pvmbench.cli import main
from pvmbench.errors import UserError
from pvmbench.leaderboard.regress_cli import regress
from pvmbench.leaderboard.regression import compare, exit_code
from pvmbench.leaderboard.rows import load_results

REPO = pathlib.Path(__file__).resolve().parents[2]
SCENARIO_REASON = "3 episodes' scenarios differ from the baseline for the same seed: suite changed without a version bump"


def _eval(out: pathlib.Path) -> tuple[pd.DataFrame, pathlib.Path]:
    out.parent.mkdir(parents=True, exist_ok=True)  # eval writes its manifest before creating the directory
    rows, _ = run_eval(EvalConfig(agent="scripted", shift="id,hard", episodes=8, env_kwargs={"image_size": 64},
                                  workers=0, num_envs=2, progress=False, out=out))
    return rows, out


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> pathlib.Path:
    """A published-baseline directory holding one real run."""
    _, out = _eval(tmp_path_factory.mktemp("published") / "scripted.parquet")
    return out


@pytest.fixture(scope="module")
def rerun(tmp_path_factory) -> pathlib.Path:
    """A second, identical eval: what CI produces when nothing changed."""
    _, out = _eval(tmp_path_factory.mktemp("new") / "scripted.parquet")
    return out


def _bounds(results: pathlib.Path) -> tuple[float, float]:
    return tuple(json.loads(results.with_name(results.stem + ".manifest.json").read_text())["score_bounds"])


def _write(rows: pd.DataFrame, path: pathlib.Path) -> pathlib.Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pandas(rows[list(COLUMNS)], schema=SCHEMA, preserve_index=False), path)
    return path


def _shifted(results: pathlib.Path, out: pathlib.Path, delta: float, level: str = "hard") -> pathlib.Path:
    """A copy of the rows with `level`'s normalised scores moved by delta, and returns to match."""
    rows = pd.read_parquet(results)
    r_random, r_max = _bounds(results)
    at = rows["level"] == level
    rows.loc[at, "normalised_score"] += delta
    rows.loc[at, "return"] += delta * (r_max - r_random)
    return _write(rows, out)


def _verdicts(table: pd.DataFrame) -> dict[str, str]:
    return dict(zip(table["level"], table["verdict"], strict=True))


def test_unchanged_results_pass(baseline, rerun):
    for new in (rerun, baseline):  # a second identical eval, and the very same file
        table = compare(load_results([baseline.parent]), load_results([new]))
        assert _verdicts(table) == {"id": "pass", "hard": "pass"}
        assert exit_code(table) == 0
        assert (table["diff"] == 0).all() and (table["scenario_mismatches"] == 0).all()
        assert (table["n_base"] == 8).all() and (table["n_new"] == 8).all()
        assert (table["diff_ci_low"] <= 0).all() and (table["diff_ci_high"] >= 0).all()


@pytest.mark.parametrize(("delta", "verdict", "code"), [(-0.2, "regressed", 1), (-0.01, "pass", 0),
                                                        (0.2, "improved", 0)])
def test_score_change_judged_against_min_effect(baseline, rerun, tmp_path, delta, verdict, code):
    new = _shifted(rerun, tmp_path / "new.parquet", delta)
    table = compare(load_results([baseline]), load_results([new]), min_effect=0.05)
    assert _verdicts(table) == {"id": "pass", "hard": verdict}
    assert exit_code(table) == code
    hard = table.set_index("level").loc["hard"]
    assert hard["diff"] == pytest.approx(delta)
    assert hard["diff_ci_low"] <= delta <= hard["diff_ci_high"]
    if verdict == "regressed":
        assert hard["p_value"] < 0.05
    assert regress([str(baseline)], [str(new)]) == code


def test_failed_episodes_are_counted_not_scored(baseline, rerun, tmp_path):
    rows = pd.read_parquet(rerun)
    failed = rows.index[rows["level"] == "hard"][:2]
    rows.loc[failed, ["status", "normalised_score", "return"]] = ["failed", float("nan"), float("nan")]
    table = compare(load_results([baseline]), load_results([_write(rows, tmp_path / "new.parquet")]))
    hard = table.set_index("level").loc["hard"]
    assert (hard["failed_new"], hard["n_new"]) == (2, 8)
    assert hard["new"] == pytest.approx(rows.loc[(rows["level"] == "hard") & (rows["status"] == "ok"),
                                                 "normalised_score"].mean())


def test_changed_scenarios_fail_and_say_why(baseline, rerun, tmp_path, capsys):
    rows = pd.read_parquet(rerun)
    changed = rows.index[rows["level"] == "id"][:3]

    def new_texture(text: str) -> str:
        scenario = json.loads(text)
        scenario["table_texture"]["seed"] += 1
        return json.dumps(scenario, sort_keys=True)

    rows.loc[changed, "scenario"] = rows.loc[changed, "scenario"].map(new_texture)
    new = _write(rows, tmp_path / "new.parquet")
    table = compare(load_results([baseline]), load_results([new]))
    assert _verdicts(table) == {"id": "scenario changed", "hard": "pass"}
    assert table.set_index("level").loc["id", "scenario_mismatches"] == 3
    assert exit_code(table) == 1
    capsys.readouterr()
    assert main(["regress", "--baseline", str(baseline.parent), "--results", str(new)]) == 1
    out = capsys.readouterr().out
    assert "scenario changed" in out and SCENARIO_REASON in out


def test_missing_entries_fail(baseline, rerun, tmp_path):
    rows = pd.read_parquet(rerun)
    new = _write(rows[rows["level"] == "id"], tmp_path / "id-only.parquet")
    table = compare(load_results([baseline]), load_results([new]))
    assert _verdicts(table) == {"id": "pass", "hard": "missing"}
    assert exit_code(table) == 1


def test_baseline_without_matching_entries_is_a_one_line_user_error(baseline, rerun, tmp_path, capsys):
    rows = pd.read_parquet(baseline)
    other = _write(rows.assign(agent_label="someone-else"), tmp_path / "other" / "other.parquet")
    with pytest.raises(UserError, match="no entries match") as info:
        regress([str(other.parent)], [str(rerun)])
    message = str(info.value)
    assert str(other) in message and "someone-else" in message and "scripted" in message
    assert main(["regress", "--baseline", str(other.parent), "--results", str(rerun)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("pvmbench: error: baseline ") and str(other) in err


def test_update_replaces_the_baseline_so_the_next_check_passes(baseline, rerun, tmp_path, capsys):
    published = tmp_path / "published"
    shutil.copytree(baseline.parent, published)
    worse = _shifted(rerun, tmp_path / "new" / "scripted-v2.parquet", -0.2)
    assert regress([str(published)], [str(worse)]) == 1
    assert regress([str(published)], [str(worse)], update=True) == 0
    # The old file held exactly the replaced entries, so it is gone rather than left to mix with the new one.
    assert sorted(p.name for p in published.glob("*.parquet")) == ["scripted-v2.parquet"]
    assert not (published / "scripted.manifest.json").exists()
    assert regress([str(published)], [str(worse)]) == 0
    assert "removed" in capsys.readouterr().out
    with pytest.raises(UserError, match="--update.*a single directory"):
        regress([str(published / "scripted-v2.parquet")], [str(worse)], update=True)


def test_update_keeps_other_entries_of_a_shared_file(baseline, rerun, tmp_path):
    published = _write(pd.concat([pd.read_parquet(baseline), pd.read_parquet(baseline).assign(agent_label="other")]),
                       tmp_path / "published" / "all.parquet")
    worse = _shifted(rerun, tmp_path / "new" / "all.parquet", -0.2)
    assert regress([str(published.parent)], [str(worse)], update=True) == 0
    # The shared file is rewritten without the replaced entries; the new file takes another name.
    kept = pd.read_parquet(published)
    assert set(kept["agent_label"]) == {"other"} and len(kept) == 16
    assert (published.parent / "all-1.parquet").is_file()


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pvmbench.cli", "regress", *args], capture_output=True,
                          text=True, cwd=REPO, timeout=120)


def test_cli_exit_codes(baseline, rerun, tmp_path):
    unchanged = _cli("--baseline", str(baseline.parent), "--results", str(rerun))
    assert unchanged.returncode == 0, unchanged.stderr
    assert "verdicts: 2 pass" in unchanged.stdout
    worse = _shifted(rerun, tmp_path / "worse.parquet", -0.2)
    regressed = _cli("--baseline", str(baseline.parent), "--results", str(worse))
    assert regressed.returncode == 1, regressed.stderr
    assert "regressed" in regressed.stdout and "-0.200" in regressed.stdout
