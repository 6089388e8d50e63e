"""Print every figure of a perf run beside its BENCHMARKS.md target (tests/perf/targets.py).

    python tools/perf_report.py .benchmarks/perf.json    # written by pytest ... --benchmark-json

Always exits 0: these machines are noisy, so the report informs and does not gate.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: make `tests` importable
from tests.perf.targets import TARGETS, Target  # noqa: E402


def rows(run: dict, targets: list[Target] = TARGETS) -> list[tuple[Target, str, float | None]]:
    """(target, case, measured) for each figure in the run; measured None for a target nothing measured."""
    out = []
    for target in targets:
        found = [(b.get("param") or "", b["extra_info"][target.key]) for b in run.get("benchmarks", [])
                 if target.key in b.get("extra_info", {})]
        out.extend((target, case, float(value)) for case, value in found)
        if not found:
            out.append((target, "", None))
    return out


def verdict(target: Target, measured: float | None) -> str:
    if measured is None:
        return "not measured in this run"
    return "met" if target.met(measured) else "NOT met"


def table(run: dict) -> str:
    lines = ["| figure | case | measured | target | |", "|---|---|---|---|---|"]
    for target, case, measured in rows(run):
        shown = "-" if measured is None else f"{measured:.3f}"
        lines.append(f"| {target.label} | {case} | {shown} | {target.op} {target.value:g} | "
                     f"{verdict(target, measured)} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip(), file=sys.stderr)
        return 0
    run = json.loads(Path(argv[0]).read_text())
    machine = run.get("machine_info", {})
    print(f"perf report: {argv[0]} ({run.get('datetime', '?')}, {machine.get('cpu', {}).get('brand_raw', '?')}, "
          f"{machine.get('cpu', {}).get('count', '?')} CPUs)")
    print(table(run))
    print("How each figure is computed: tests/perf/targets.py")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
