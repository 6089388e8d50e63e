"""The factor table in the leaderboard's four formats: per env, rows = entries, columns = factors, cells =
drop % with its paired 95% CI, each entry's worst factor marked; in HTML, a heat map of the drops."""

from __future__ import annotations

import html
import math
import pathlib

import pandas as pd

from pvmbench.leaderboard.render import latex_escape

FACTOR_LEGEND = ("Per factor: that factor alone at its hard setting, every other at id, on the id episodes' "
                 "seeds; cell = drop % (100 × (1 − factor / id)) with its paired-bootstrap 95% CI over the "
                 "episode pairs. Marked: the entry's worst factor. Interaction check: the sum of the single-factor "
                 "drops beside the drop at hard (every factor at once) on the seeds scored at both, one joint "
                 "bootstrap: hard above the sum means the factors compound.")


def pct(value: float) -> str:
    """A whole percent, never "-0"."""
    text = f"{value:.0f}"
    return "0" if text == "-0" else text


def _cell(row: dict) -> str:
    if math.isnan(row["drop_pct"]):
        return "-"
    ci = "" if math.isnan(row["drop_ci_low"]) else f" [{pct(row['drop_ci_low'])}, {pct(row['drop_ci_high'])}]"
    return f"{pct(row['drop_pct'])}%{ci}"


def _grids(table: pd.DataFrame) -> list[tuple[str, list[str], list[tuple[str, list[dict | None]]]]]:
    """Per env: (env, factor names, [(agent, [row per factor or None])]), factors in their first order."""
    out = []
    for env, at_env in table.groupby("env_id", sort=True):
        factors = list(dict.fromkeys(at_env["factor"]))
        by_agent = []
        for agent, rows in at_env.groupby("agent_label", sort=True):
            cells = {r["factor"]: r for r in rows.to_dict("records")}
            by_agent.append((agent, [cells.get(f) for f in factors]))
        out.append((env, factors, by_agent))
    return out


def factors_markdown(table: pd.DataFrame) -> str:
    if table.empty:
        return ""
    parts = ["## Which factor breaks it", "", FACTOR_LEGEND, ""]
    for env, factors, agents in _grids(table):
        parts += [f"**{env}**", "", "| Agent | " + " | ".join(factors) + " |",
                  "|:---|" + "---:|" * len(factors)]
        for agent, cells in agents:
            texts = [("-" if c is None else f"**{_cell(c)}**" if c["worst"] else _cell(c)) for c in cells]
            parts.append(f"| {agent} | " + " | ".join(texts) + " |")
        parts.append("")
    return "\n".join(parts)


def factors_csv(table: pd.DataFrame, path: str | pathlib.Path) -> None:
    table.to_csv(path, index=False, lineterminator="\n")


def factors_latex(table: pd.DataFrame) -> str:
    lines = ["% pvmbench per-factor drops; needs \\usepackage{booktabs}"]
    for env, factors, agents in _grids(table):
        lines += [f"% {latex_escape(env)}", f"\\begin{{tabular}}{{l{'r' * len(factors)}}}", "\\toprule",
                  " & ".join(["Agent", *(latex_escape(f) for f in factors)]) + r" \\", "\\midrule"]
        for agent, cells in agents:
            texts = [("-" if c is None else f"\\textbf{{{latex_escape(_cell(c))}}}" if c["worst"]
                      else latex_escape(_cell(c))) for c in cells]
            lines.append(" & ".join([latex_escape(agent), *texts]) + r" \\")
        lines += ["\\bottomrule", "\\end{tabular}"]
    return "\n".join(lines) + "\n"


def _heat(drop: float) -> str:
    """Background colour: white at no drop, deepening red to 100% and beyond; blue for a gain."""
    if math.isnan(drop):
        return "#f4f4f4"
    strength = min(abs(drop), 100.0) / 100.0
    light = round(97 - 45 * strength)
    hue = 0 if drop > 0 else 215
    return f"hsl({hue}, 70%, {light}%)"


def factors_html(table: pd.DataFrame) -> str:
    if table.empty:
        return ""
    sections = [f'<p class="legend">{html.escape(FACTOR_LEGEND)}</p>']
    for env, factors, agents in _grids(table):
        head = "".join(f"<th>{html.escape(f)}</th>" for f in factors)
        body = []
        for agent, cells in agents:
            tds = []
            for c in cells:
                if c is None:
                    tds.append('<td class="num">-</td>')
                    continue
                worst = " best" if c["worst"] else ""
                tds.append(f'<td class="num heat{worst}" style="background:{_heat(c["drop_pct"])}">'
                           f"{html.escape(_cell(c))}</td>")
            body.append(f'<tr><td class="text">{html.escape(agent)}</td>{"".join(tds)}</tr>')
        sections.append(f"<h3>{html.escape(env)}</h3>\n<div class=\"scroll\"><table><thead><tr><th>Agent</th>{head}"
                        f"</tr></thead><tbody>\n" + "\n".join(body) + "\n</tbody></table></div>")
    return '<section id="factors"><h2>Which factor breaks it</h2>\n' + "\n".join(sections) + "</section>"
