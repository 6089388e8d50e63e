"""Renderings of the leaderboard table: Markdown, CSV, LaTeX (booktabs) and one self-contained HTML page.

Every renderer is a pure function of its inputs (no clock, no environment), so a rebuild from the same
result files is byte-identical; `build.py` relies on that. No pandas Styler, so no jinja2 dependency.
"""

from __future__ import annotations

import html
import json
import math
import pathlib
import urllib.parse
from collections.abc import Callable, Iterable

import pandas as pd
import pyarrow.parquet as pq

from pvmbench.leaderboard.table import best_in_column

LEGEND = ("Scores: mean normalised score (0 = random policy, 1 = best return) with its 95% stratified-bootstrap "
          "CI, over scored episodes; failed episodes are counted, not scored. Drop: 100 × (1 − OOD / ID), "
          "- where the ID score's CI reaches 0 (no better than random in distribution). Breaking point: the "
          "lowest severity of the sweep whose score falls below half the ID score (unbroken: no severity of the "
          "sweep did; -: no sweep, or an ID score not above random). vs blind: where the ID score's CI lies "
          "against the env's blind baseline (the best constant action, chosen without images): an entry not above "
          "it has shown nothing learned from pixels. Bold: best per env.")


def _num(value, spec: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    text = format(value, spec)
    return text[1:] if text.startswith("-") and float(text) == 0 else text  # no "-0.00"


def _score(row: dict, level: str) -> str:
    if math.isnan(row[f"{level}_score"]):
        return "-"
    return f"{_num(row[f'{level}_score'], '.2f')} [{_num(row[f'{level}_ci_low'], '.2f')}, {_num(row[f'{level}_ci_high'], '.2f')}]"


def _success(row: dict, level: str) -> str:
    rate = row[f"{level}_success"]
    if math.isnan(rate):
        return "-"
    return f"{rate * 100:.0f}% [{row[f'{level}_success_ci_low'] * 100:.0f}, {row[f'{level}_success_ci_high'] * 100:.0f}]"


def _drop(value: float) -> str:
    return "-" if math.isnan(value) else _num(value, ".1f") + "%"


def _breaking(value: float) -> str:
    return "unbroken" if value == math.inf else _num(value, "g")


# (header, column best_in_column and sorting look at, text of a row's cell)
DISPLAY: list[tuple[str, str, Callable[[dict], str]]] = [
    ("Agent", "agent_label", lambda r: r["agent_label"]),
    ("Env", "env_id", lambda r: r["env_id"]),
    ("Suite", "suite", lambda r: f"{r['suite']}@{r['suite_hash']}"),
    ("ID", "id_score", lambda r: _score(r, "id")),
    ("Easy", "easy_score", lambda r: _score(r, "easy")),
    ("Hard", "hard_score", lambda r: _score(r, "hard")),
    ("Success ID", "id_success", lambda r: _success(r, "id")),
    ("Success easy", "easy_success", lambda r: _success(r, "easy")),
    ("Success hard", "hard_success", lambda r: _success(r, "hard")),
    ("Drop easy", "drop_easy_pct", lambda r: _drop(r["drop_easy_pct"])),
    ("Drop hard", "drop_hard_pct", lambda r: _drop(r["drop_hard_pct"])),
    ("Breaking point", "breaking_point", lambda r: _breaking(r["breaking_point"])),
    ("vs blind", "vs_blind", lambda r: r["vs_blind"]),
    ("Episodes", "episodes", lambda r: str(r["episodes"])),
    ("Failed", "failed", lambda r: str(r["failed"])),
    ("Checkpoint", "checkpoint", lambda r: r["checkpoint"]),
]
_TEXT_COLUMNS = {"agent_label", "env_id", "suite", "checkpoint", "vs_blind"}


def _cells(table: pd.DataFrame) -> list[list[tuple[str, str, bool]]]:
    """Per row, per displayed column: (text, column, is best)."""
    best = best_in_column(table)
    return [[(fmt(row), column, i in best.get(column, ())) for _, column, fmt in DISPLAY]
            for i, row in zip(table.index, table.to_dict("records"), strict=True)]


def to_markdown(table: pd.DataFrame) -> str:
    def escape(text: str) -> str:
        text = text.replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")
        return text.replace("<", "&lt;").replace(">", "&gt;")  # GitHub would take <x> for an HTML tag

    lines = ["| " + " | ".join(h for h, _, _ in DISPLAY) + " |",
             "|" + "|".join(":---" if c in _TEXT_COLUMNS else "---:" for _, c, _ in DISPLAY) + "|"]
    for cells in _cells(table):
        lines.append("| " + " | ".join(f"**{escape(t)}**" if b else escape(t) for t, _, b in cells) + " |")
    return "\n".join(lines) + "\n\n" + LEGEND + "\n"


def to_csv(table: pd.DataFrame, path: str | pathlib.Path) -> None:
    # Plain numbers at full precision (pandas writes the shortest repr that reads back to the same float);
    # NaN as an empty field, inf as "inf".
    table.to_csv(path, index=False, lineterminator="\n")


_LATEX_SPECIALS = {"\\": r"\textbackslash{}", "_": r"\_", "%": r"\%", "&": r"\&", "#": r"\#", "$": r"\$",
                   "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                   "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}"}  # <>| are ¡¿— in OT1


def latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIALS.get(ch, ch) for ch in text)


def to_latex(table: pd.DataFrame) -> str:
    """A booktabs tabular, for `\\input{leaderboard.tex}` in a document that loads booktabs."""
    spec = "".join("l" if c in _TEXT_COLUMNS else "r" for _, c, _ in DISPLAY)
    lines = ["% pvmbench leaderboard; needs \\usepackage{booktabs}", f"\\begin{{tabular}}{{{spec}}}", "\\toprule",
             " & ".join(latex_escape(h) for h, _, _ in DISPLAY) + r" \\", "\\midrule"]
    previous_env = None
    for row, cells in zip(table.to_dict("records"), _cells(table), strict=True):
        if previous_env is not None and row["env_id"] != previous_env:
            lines.append("\\midrule")  # envs are not comparable with each other: a rule between them
        previous_env = row["env_id"]
        lines.append(" & ".join(f"\\textbf{{{latex_escape(t)}}}" if b else latex_escape(t) for t, _, b in cells)
                     + r" \\")
    lines += ["\\bottomrule", "\\end{tabular}"]
    return "\n".join(lines) + "\n"


PROVENANCE_FIELDS = ("entry", "file", "suite", "pvmbench", "mujoco", "gymnasium", "torch", "started", "finished",
                     "status", "git_sha", "note")


def provenance_from_manifests(result_files: Iterable[str | pathlib.Path]) -> list[dict]:
    """One dict per result file (sorted by path) from the `<stem>.manifest.json` beside it.

    A missing or unreadable manifest is reported in ``note`` rather than refused: the scores are still
    valid, only their provenance is unknown.
    """
    out = []
    for path in sorted({pathlib.Path(p) for p in result_files}, key=str):
        record = dict.fromkeys(PROVENANCE_FIELDS, "-") | {"file": str(path), "note": ""}
        try:
            labels = pq.read_table(path, columns=["agent_label", "env_id"]).to_pandas()
            record["entry"] = (", ".join(sorted(set(labels["agent_label"]))) + " on "
                               + ", ".join(sorted(set(labels["env_id"]))))
        except Exception:  # load_results reports unreadable results; here the entry just stays unknown
            pass
        manifest_path = path.with_name(path.stem + ".manifest.json")
        try:
            manifest = json.loads(manifest_path.read_text())
        except FileNotFoundError:
            out.append(record | {"note": "no manifest"})
            continue
        except (OSError, ValueError):
            out.append(record | {"note": "manifest unreadable"})
            continue
        identity, versions = manifest.get("identity", {}), manifest.get("versions", {})
        record.update({k: str(versions.get(k, "-")) for k in ("pvmbench", "mujoco", "gymnasium", "torch")})
        record.update(suite=f"{identity.get('suite')}@{identity.get('suite_hash')}",
                      started=str(manifest.get("started", "-")), finished=str(manifest.get("finished", "-")),
                      status=str(manifest.get("status", "-")), git_sha=str(manifest.get("git_sha") or "-"))
        if record["entry"] == "-":
            record["entry"] = f"{identity.get('agent', '?')} on {identity.get('env_id', '?')}"
        out.append(record)
    return out


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2327;background:#fafafa;margin:0}
main{max-width:1600px;margin:0 auto;padding:20px 24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
p.legend{color:#555;max-width:900px;font-size:13px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;background:#fff;font-variant-numeric:tabular-nums;font-size:13px}
th,td{padding:5px 8px;border-bottom:1px solid #e4e4e4;white-space:nowrap;text-align:right}
th{white-space:normal;vertical-align:bottom;min-width:4em}
th.text,td.text{text-align:left}
thead th{background:#f0f2f4;border-bottom:2px solid #bbb;position:sticky;top:0}
table.sortable th{cursor:pointer;user-select:none}
table.sortable th:hover{background:#e2e6ea}
table.sortable th::after{content:"\\2195";color:#aaa;padding-left:4px;font-size:11px}
table.sortable th[aria-sort=ascending]::after{content:"\\25B2";color:#333}
table.sortable th[aria-sort=descending]::after{content:"\\25BC";color:#333}
tbody tr:hover{background:#f5f8fc}
td.best{background:#e7f5e9}
.ci{color:#777;font-size:11px}
figure{display:inline-block;margin:0 16px 16px 0;vertical-align:top}
figure img{max-width:100%;border:1px solid #ddd;background:#fff}
figcaption{font-size:12px;color:#666}
code{font-size:12px}
"""

# Sorts by a cell's data-sort value (numbers) or its text; empty values stay last in both directions.
_JS = """
(function () {
  function value(row, col) {
    var cell = row.cells[col];
    if (!cell) return '';
    return cell.hasAttribute('data-sort') ? cell.getAttribute('data-sort') : cell.textContent.trim();
  }
  function compare(a, b) {
    var x = Number(a), y = Number(b);
    if (a !== '' && b !== '' && !isNaN(x) && !isNaN(y)) return x < y ? -1 : x > y ? 1 : 0;
    return a.localeCompare(b, undefined, {numeric: true, sensitivity: 'base'});
  }
  document.querySelectorAll('table.sortable').forEach(function (table) {
    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
    heads.forEach(function (th, col) {
      function sort() {
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        heads.forEach(function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows).map(function (r, i) { return [r, value(r, col), i]; });
        rows.sort(function (p, q) {
          if (p[1] === '' || q[1] === '') return (p[1] === '') - (q[1] === '') || p[2] - q[2];
          return (asc ? 1 : -1) * compare(p[1], q[1]) || p[2] - q[2];
        });
        rows.forEach(function (p) { body.appendChild(p[0]); });
      }
      th.addEventListener('click', sort);
      th.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(); } });
    });
  });
})();
"""


def _sort_key(value) -> str:
    if isinstance(value, str):
        return value
    if value is None or math.isnan(value):
        return ""
    return "Infinity" if value == math.inf else repr(float(value))


def _html_table(table: pd.DataFrame) -> str:
    esc = html.escape
    head = "".join(f'<th tabindex="0" class="{"text" if c in _TEXT_COLUMNS else "num"}">{esc(h)}</th>'
                   for h, c, _ in DISPLAY)
    body = []
    for row, cells in zip(table.to_dict("records"), _cells(table), strict=True):
        tds = []
        for text, column, is_best in cells:
            content = esc(text)
            if column.endswith("_score") and text != "-":
                score, _, ci = text.partition(" ")
                content = f'{esc(score)} <span class="ci">{esc(ci)}</span>'
            elif column == "suite":  # the hash matters for comparability but is read less often
                name, _, suite_hash = text.partition("@")
                content = f'{esc(name)}<span class="ci">@{esc(suite_hash)}</span>'
            if is_best:
                content = f"<strong>{content}</strong>"
            classes = ("text" if column in _TEXT_COLUMNS else "num") + (" best" if is_best else "")
            sort_attr = "" if column in _TEXT_COLUMNS else f' data-sort="{esc(_sort_key(row[column]))}"'
            tds.append(f'<td class="{classes}"{sort_attr}>{content}</td>')
        body.append("<tr>" + "".join(tds) + "</tr>")
    return (f'<div class="scroll"><table class="sortable" id="leaderboard"><thead><tr>{head}</tr></thead>'
            f"<tbody>\n" + "\n".join(body) + "\n</tbody></table></div>")


def _images(paths: list[str]) -> str:
    return "\n".join(f'<figure><img src="{html.escape(urllib.parse.quote(str(p)))}" alt="{html.escape(str(p))}">'
                     f"<figcaption>{html.escape(pathlib.PurePath(p).name)}</figcaption></figure>" for p in paths)


def _run_dates(started: str, finished: str) -> str:
    """Start over end, from ISO times (the manifests write UTC); the day only once when shared."""
    def short(t: str) -> str:
        return t.replace("T", " ").removesuffix("+00:00")

    start, end = short(started), short(finished)
    if end[:10] == start[:10] and len(end) > 11:
        end = end[11:]
    return f'{html.escape(start)}<br><span class="ci">to {html.escape(end)}</span>'


def _provenance_table(provenance: list[dict]) -> str:
    esc = html.escape
    heads = ["Entry", "Result file", "Suite", "pvmbench", "MuJoCo", "Gymnasium", "torch", "Run (UTC)", "Status",
             "Git SHA"]
    rows = []
    for p in provenance:
        # Two lines per entry keep the table within a laptop screen: the label, then the env.
        label, on, env = p["entry"].partition(" on ")
        entry = f'{esc(label)}<br><span class="ci">on {esc(env)}</span>' if on else esc(p["entry"])
        first = f'<td class="text">{entry}</td><td class="text"><code>{esc(p["file"])}</code></td>'
        if p.get("note"):
            rows.append(f'<tr>{first}<td class="text" colspan="{len(heads) - 2}">{esc(p["note"])}</td></tr>')
            continue
        sha = p["git_sha"]
        rest = "".join(f'<td class="text">{esc(str(p[k]))}</td>'
                       for k in ("suite", "pvmbench", "mujoco", "gymnasium", "torch"))
        rest += (f'<td class="text">{_run_dates(p["started"], p["finished"])}</td>'
                 f'<td class="text">{esc(p["status"])}</td>')
        rows.append(f'<tr>{first}{rest}<td class="text"><code title="{esc(sha)}">{esc(sha[:12])}</code></td></tr>')
    head = "".join(f'<th class="text">{esc(h)}</th>' for h in heads)
    return (f'<div class="scroll"><table id="provenance-table"><thead><tr>{head}</tr></thead><tbody>\n'
            + "\n".join(rows) + "\n</tbody></table></div>")


def to_html(table: pd.DataFrame, provenance: list[dict], figures: list[str] = (), galleries: list[str] = (),
            factors_section: str = "") -> str:
    """One page with inline CSS and JS and no external URL; images are paths relative to the page."""
    sections = [f'<section id="results"><h2>Results</h2>\n{_html_table(table)}</section>']
    if factors_section:
        sections.append(factors_section)
    if figures:
        sections.append(f'<section id="figures"><h2>Figures</h2>\n{_images(list(figures))}</section>')
    if galleries:
        sections.append(f'<section id="galleries"><h2>Shift galleries</h2>\n{_images(list(galleries))}</section>')
    sections.append(f'<section id="provenance"><h2>Provenance</h2>\n{_provenance_table(provenance)}</section>')
    return ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            '<link rel="icon" href="data:,">\n<title>pvmbench leaderboard</title>\n'
            f"<style>{_CSS}</style>\n</head>\n<body>\n<main>\n<h1>pvmbench leaderboard</h1>\n"
            f'<p class="legend">{html.escape(LEGEND)} Click a column header to sort.</p>\n'
            + "\n".join(sections) + f"\n</main>\n<script>{_JS}</script>\n</body>\n</html>\n")
