"""Build the leaderboard directory: LEADERBOARD.md, leaderboard.csv, leaderboard.tex, index.html.

The output is a pure function of the inputs (result files, their manifests, the figure and gallery
images): no build time is written anywhere and the bootstrap seed is fixed, so a committed leaderboard
can be checked by rebuilding it and comparing bytes. Images are copied beside the page, so the
directory is self-contained and can be served or zipped as it is.
"""

from __future__ import annotations

import pathlib
import shutil
from collections.abc import Iterable

from pvmbench.errors import UserError
from pvmbench.leaderboard.factor_render import factors_csv, factors_html, factors_latex, factors_markdown
from pvmbench.leaderboard.factors import factor_table
from pvmbench.leaderboard.render import provenance_from_manifests, to_csv, to_html, to_latex, to_markdown
from pvmbench.leaderboard.rows import load_results, result_files
from pvmbench.leaderboard.table import leaderboard_table

RANDOM_STATE = 0  # fixed: the CIs of a rebuild must match the committed ones exactly
REPS = 2000


def _plan_images(paths: Iterable[str | pathlib.Path], subdir: str) -> list[tuple[pathlib.Path, str]]:
    """(source, path relative to the page) per image, in the order given; refuses what cannot be copied."""
    sources = [pathlib.Path(p) for p in paths]
    for src in sources:
        if not src.is_file():
            raise UserError(f"{src}: no such image file")
    names = [s.name for s in sources]
    clashing = sorted({n for n in names if names.count(n) > 1})
    if clashing:  # they would overwrite each other in one folder
        raise UserError(f"images with the same file name cannot share {subdir}/: {', '.join(clashing)}; rename one")
    return [(src, f"{subdir}/{src.name}") for src in sources]


def _copy_images(planned: list[tuple[pathlib.Path, str]], out_dir: pathlib.Path) -> list[str]:
    for src, rel in planned:
        dest = out_dir / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if not (dest.exists() and dest.resolve() == src.resolve()):  # already in place (a rebuild in situ)
            shutil.copyfile(src, dest)  # contents only: no timestamps or permissions carried over
    return [rel for _, rel in planned]


def _write(path: pathlib.Path, text: str) -> pathlib.Path:
    path.write_text(text, encoding="utf-8", newline="\n")
    return path


def build_leaderboard(result_paths: Iterable[str | pathlib.Path], out_dir: str | pathlib.Path,
                      figures: Iterable[str | pathlib.Path] = (), galleries: Iterable[str | pathlib.Path] = ()) -> dict:
    """Write the four leaderboard files (and copied images) into out_dir; return their paths.

    ``result_paths`` are Parquet files or directories of them, as for `load_results`. Bad input (no
    results, a corrupt file, two suite versions of one env, a missing image) is a one-line UserError
    raised before anything is written.
    """
    files = result_files(result_paths)
    rows = load_results(files)
    table = leaderboard_table(rows, reps=REPS, random_state=RANDOM_STATE)
    factors = factor_table(rows, reps=REPS, random_state=RANDOM_STATE)
    provenance = provenance_from_manifests(files)
    # Images are checked before out_dir is created, so a typo leaves nothing behind.
    planned_figures, planned_galleries = _plan_images(figures, "figures"), _plan_images(galleries, "galleries")

    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figure_paths = _copy_images(planned_figures, out)
    gallery_paths = _copy_images(planned_galleries, out)
    markdown = "# pvmbench leaderboard\n\n" + to_markdown(table)
    if not factors.empty:  # per-factor drops, where factor levels were run
        markdown += "\n" + factors_markdown(factors)
        factors_csv(factors, out / "leaderboard_factors.csv")
        _write(out / "leaderboard_factors.tex", factors_latex(factors))
    csv_path = out / "leaderboard.csv"
    to_csv(table, csv_path)
    return {
        "markdown": _write(out / "LEADERBOARD.md", markdown),
        "csv": csv_path,
        "latex": _write(out / "leaderboard.tex", to_latex(table)),
        "html": _write(out / "index.html", to_html(table, provenance, figure_paths, gallery_paths,
                                                   factors_html(factors))),
        "figures": [out / p for p in figure_paths],
        "galleries": [out / p for p in gallery_paths],
    }
