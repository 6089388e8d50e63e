"""The leaderboard built from real `run_eval` rows: table, renderings, determinism, bad input, the page in a browser."""

from __future__ import annotations

import math
import os
import pathlib
import re
import shutil

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from PIL import Image

from pvmbench.benchmark.evaluate import EvalConfig, run_eval
from pvmbench.errors import UserError
from pvmbench.leaderboard.build import build_leaderboard
from pvmbench.leaderboard.render import provenance_from_manifests, to_csv, to_latex, to_markdown
from pvmbench.leaderboard.rows import ENTRY_KEYS, load_results
from pvmbench.leaderboard.table import best_in_column, leaderboard_table
from pvmbench.shifts.spec import LEVELS

CHROMIUM = os.environ.get("PVMBENCH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> pathlib.Path:
    """A results directory from real runs: random and scripted on every level, and a scripted sweep."""
    out = tmp_path_factory.mktemp("results")
    for name, agent, shift, episodes in [("random", "random", "all", 3), ("scripted", "scripted", "all", 3),
                                         ("scripted_sweep", "scripted", "severity=0,1", 2)]:
        run_eval(EvalConfig(agent=agent, shift=shift, episodes=episodes, env_kwargs={"image_size": 64}, workers=0,
                            num_envs=2, progress=False, out=out / f"{name}.parquet"))
    return out


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> dict[str, list[pathlib.Path]]:
    from pvmbench.envs.gallery import gallery_shifts, write_gallery

    folder = tmp_path_factory.mktemp("images")
    figure = folder / "score_vs_severity.png"
    Image.new("RGB", (120, 80), (40, 110, 200)).save(figure)
    gallery = write_gallery("pvmbench/TableTopPick-v0", folder / "gallery_tabletop.png", 2,
                            gallery_shifts("pvmbench/TableTopPick-v0", "id,hard"), 64)
    return {"figures": [figure], "galleries": [gallery]}


@pytest.fixture(scope="module")
def rows(results) -> pd.DataFrame:
    return load_results([results])


@pytest.fixture(scope="module")
def table(rows) -> pd.DataFrame:
    return leaderboard_table(rows, reps=500)


def by_agent(table: pd.DataFrame, label: str) -> pd.Series:
    return table[table["agent_label"] == label].iloc[0]


def test_one_row_per_entry_with_the_sweep_folded_in(table, rows):
    assert len(table) == 2 and not table.duplicated(list(ENTRY_KEYS)).any()
    assert list(table["agent_label"]) == ["scripted", "random"]  # hard score, descending
    scripted, random = by_agent(table, "scripted"), by_agent(table, "random")
    scored = rows[rows["status"] != "failed"]
    assert scripted["episodes"] == (scored["agent_label"] == "scripted").sum()  # 9 level + 4 sweep episodes
    assert scripted["episodes"] + scripted["failed"] == 13 and random["episodes"] + random["failed"] == 9
    assert scripted["checkpoint"] == random["checkpoint"] == "-"  # built-in agents have no checkpoint file
    # The scripted policy holds up over the sweep; random has no sweep and no positive ID score.
    assert scripted["breaking_point"] == math.inf and math.isnan(random["breaking_point"])


def test_scripted_beats_random_in_distribution(table):
    assert by_agent(table, "scripted")["id_score"] > 0.5 > by_agent(table, "random")["id_score"]
    assert by_agent(table, "scripted")["id_ci_low"] > by_agent(table, "random")["id_ci_high"]


def test_ci_brackets_the_score_and_drops_follow_from_scores(table):
    for row in table.to_dict("records"):
        for level in LEVELS:
            assert row[f"{level}_ci_low"] <= row[f"{level}_score"] <= row[f"{level}_ci_high"]
        if row["id_ci_low"] > 0:
            assert row["drop_hard_pct"] == pytest.approx(100 * (1 - row["hard_score"] / row["id_score"]))
            assert row["drop_easy_pct"] == pytest.approx(100 * (1 - row["easy_score"] / row["id_score"]))
        else:  # no better than random in distribution: nothing to lose, so no drop to rank
            assert math.isnan(row["drop_hard_pct"]) and math.isnan(row["drop_easy_pct"])


def test_failed_episodes_are_counted_not_scored_and_a_broken_sweep_has_a_breaking_point(rows):
    edited = rows.copy()
    scripted = edited["agent_label"] == "scripted"
    first_id = edited.index[scripted & (edited["level"] == "id")][0]
    edited.loc[first_id, ["status", "normalised_score"]] = ["failed", np.nan]
    edited.loc[scripted & (edited["level"] == "severity=1"), "normalised_score"] = 0.0
    before = by_agent(leaderboard_table(rows, reps=200), "scripted")
    after = by_agent(leaderboard_table(edited, reps=200), "scripted")
    assert (after["episodes"], after["failed"]) == (before["episodes"] - 1, before["failed"] + 1)
    assert after["breaking_point"] == 1.0


def test_best_is_marked_in_markdown_and_latex(table):
    best = best_in_column(table)
    scripted = int(table.index[table["agent_label"] == "scripted"][0])
    assert best["id_score"] == best["hard_score"] == {scripted}
    assert best["breaking_point"] == set()  # only one entry has a sweep: nothing to compare
    markdown, latex = to_markdown(table), to_latex(table)
    score = by_agent(table, "scripted")
    cell = f"{score['id_score']:.2f} [{score['id_ci_low']:.2f}, {score['id_ci_high']:.2f}]"
    assert f"**{cell}**" in markdown and f"\\textbf{{{cell}}}" in latex
    random_line = next(line for line in markdown.splitlines() if line.startswith("| random"))
    assert "**" not in random_line


def test_latex_is_booktabs_with_escaped_specials(rows):
    renamed = rows.assign(agent_label=rows["agent_label"].replace({"scripted": "scripted_v2 & #1 100%"}))
    latex = to_latex(leaderboard_table(renamed, reps=200))
    lines = latex.splitlines()
    assert [ln for ln in lines if ln in ("\\toprule", "\\midrule", "\\bottomrule")] == ["\\toprule", "\\midrule",
                                                                                      "\\bottomrule"]
    assert lines[1].startswith("\\begin{tabular}") and lines[-1] == "\\end{tabular}"
    assert "scripted\\_v2 \\& \\#1 100\\%" in latex
    body = [ln for ln in lines if not ln.startswith("%")]
    assert not any(re.search(r"(?<!\\)[_%#]", ln) for ln in body)
    ampersands = {len(re.findall(r"(?<!\\)&", ln)) for ln in body if ln.endswith("\\\\")}
    assert ampersands == {15}  # header and every row have the same 16 columns


def test_csv_round_trips_numbers(table, tmp_path):
    to_csv(table, tmp_path / "t.csv")
    back = pd.read_csv(tmp_path / "t.csv", dtype={"suite_hash": str, "checkpoint": str})
    pd.testing.assert_frame_equal(back, table, check_exact=True, check_dtype=False)


def test_rebuild_is_byte_identical(results, images, tmp_path):
    def snapshot(folder: pathlib.Path) -> dict[str, bytes]:
        return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}

    files = sorted(results.glob("*.parquet"))
    first = build_leaderboard(files, tmp_path / "a", **images)
    assert sorted(snapshot(tmp_path / "a")) == ["LEADERBOARD.md", "figures/score_vs_severity.png",
                                                "galleries/gallery_tabletop.png", "index.html", "leaderboard.csv",
                                                "leaderboard.tex"]
    build_leaderboard(list(reversed(files)), tmp_path / "b", **images)  # input order does not matter
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")
    before = snapshot(tmp_path / "a")
    build_leaderboard(files, tmp_path / "a", **images)  # in place, over the previous build
    assert snapshot(tmp_path / "a") == before
    assert first["html"] == tmp_path / "a" / "index.html"


def test_provenance_comes_from_manifests_and_tolerates_a_missing_one(results, tmp_path):
    shutil.copy(results / "random.parquet", tmp_path / "orphan.parquet")  # no manifest beside it
    provenance = provenance_from_manifests([results / "scripted.parquet", tmp_path / "orphan.parquet"])
    by_file = {pathlib.Path(p["file"]).name: p for p in provenance}
    scripted = by_file["scripted.parquet"]
    assert scripted["entry"] == "scripted on pvmbench/TableTopPick-v1" and scripted["note"] == ""
    assert scripted["mujoco"] not in ("", "-") and scripted["suite"].startswith("tabletop-v2@")
    assert by_file["orphan.parquet"]["note"] == "no manifest"
    html = build_leaderboard([tmp_path / "orphan.parquet"], tmp_path / "out")["html"].read_text()
    assert "no manifest" in html


def one_line_error(call) -> str:
    with pytest.raises(UserError) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_empty_results_directory_is_a_one_line_error(tmp_path):
    (tmp_path / "empty").mkdir()
    message = one_line_error(lambda: build_leaderboard([tmp_path / "empty"], tmp_path / "out"))
    assert str(tmp_path / "empty") in message and "no result files" in message
    assert not (tmp_path / "out").exists()


def test_truncated_parquet_is_a_one_line_error_naming_it(results, tmp_path):
    data = (results / "random.parquet").read_bytes()
    (tmp_path / "half.parquet").write_bytes(data[: len(data) // 2])
    shutil.copy(results / "scripted.parquet", tmp_path)
    message = one_line_error(lambda: build_leaderboard([tmp_path], tmp_path / "out"))
    assert str(tmp_path / "half.parquet") in message and "corrupt or truncated" in message


def test_two_suite_versions_are_a_one_line_error_naming_files_and_versions(results, tmp_path):
    shutil.copy(results / "random.parquet", tmp_path)
    edited = pq.read_table(results / "scripted.parquet").to_pandas().assign(suite_hash="deadbeefdeadbeef")
    edited.to_parquet(tmp_path / "scripted_edited.parquet")
    real_hash = pq.read_table(results / "random.parquet").to_pandas()["suite_hash"].iloc[0]
    message = one_line_error(lambda: build_leaderboard([tmp_path], tmp_path / "out"))
    for part in ("deadbeefdeadbeef", real_hash, "scripted_edited.parquet", "random.parquet"):
        assert part in message


def test_page_in_headless_chromium_sorts_and_shows_images(results, images, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (CI installs it)")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium (or set PVMBENCH_CHROMIUM)")
    page_path = build_leaderboard([results], tmp_path / "site", **images)["html"]
    assert "://" not in page_path.read_text()  # no external URL, not even in a comment
    problems, requests = [], []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_path.as_uri(), wait_until="load")

            def agents() -> list[str]:
                return page.locator("#leaderboard tbody tr td:first-child").all_inner_texts()

            assert agents() == ["scripted", "random"]
            page.click("#leaderboard th:has-text('Agent')")
            assert agents() == ["random", "scripted"]
            page.click("#leaderboard th:has-text('Agent')")  # again: descending
            assert agents() == ["scripted", "random"]
            page.click("#leaderboard th:has-text('Episodes')")  # numeric: 9 before 13
            assert agents() == ["random", "scripted"]
            widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
            assert len(widths) == 2 and all(w > 0 for w in widths)
        finally:
            browser.close()
    assert problems == []
    assert requests and all(url.startswith(("file://", "data:")) for url in requests)
