"""tools/perf_report.py reads a pytest-benchmark JSON and says, per figure, whether its target is met;
tests/perf/interleave.py makes the ratios it reads."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from tests.perf.interleave import Rounds, interleaved
from tests.perf.targets import TARGETS

ROOT = Path(__file__).resolve().parents[2]
# Loaded by path: `tools` is not a package, and another installed `tools` could shadow a namespace one.
_spec = importlib.util.spec_from_file_location("perf_report", ROOT / "tools" / "perf_report.py")
perf_report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(perf_report)

AT_LEAST = next(t for t in TARGETS if t.op == ">=")
AT_MOST = next(t for t in TARGETS if t.op == "<=")


def _bench(param: str, **extra_info) -> dict:
    return {"name": f"test_x[{param}]", "param": param, "extra_info": extra_info, "stats": {"median": 1.0}}


def _run() -> dict:
    return {"benchmarks": [
        _bench("above", **{AT_LEAST.key: AT_LEAST.value * 1.1, AT_MOST.key: AT_MOST.value * 1.1}),
        _bench("below", **{AT_LEAST.key: AT_LEAST.value * 0.9, AT_MOST.key: AT_MOST.value * 0.9}),
        _bench("unrelated", other=3.0),
    ]}


def test_direction_of_each_target_kind():
    verdicts = {(t.key, case): perf_report.verdict(t, m) for t, case, m in perf_report.rows(_run())}
    assert verdicts[(AT_LEAST.key, "above")] == "met"
    assert verdicts[(AT_LEAST.key, "below")] == "NOT met"
    assert verdicts[(AT_MOST.key, "above")] == "NOT met"
    assert verdicts[(AT_MOST.key, "below")] == "met"


def test_boundary_counts_as_met():
    assert AT_LEAST.met(AT_LEAST.value) and AT_MOST.met(AT_MOST.value)


def test_unmeasured_targets_are_listed_not_dropped():
    measured = {AT_LEAST.key, AT_MOST.key}
    lines = perf_report.table(_run()).splitlines()
    for target in TARGETS:
        if target.key not in measured:
            assert any(target.label in line and "not measured in this run" in line for line in lines)


def test_main_prints_the_table_and_exits_0_even_when_targets_are_missed(tmp_path, capsys):
    path = tmp_path / "perf.json"
    path.write_text(json.dumps(_run()))
    assert perf_report.main([str(path)]) == 0
    out = capsys.readouterr().out
    assert f"| {AT_LEAST.label} | below | {AT_LEAST.value * 0.9:.3f} | >= {AT_LEAST.value:g} | NOT met |" in out
    assert f"| {AT_MOST.label} | below | {AT_MOST.value * 0.9:.3f} | <= {AT_MOST.value:g} | met |" in out


def test_targets_have_unique_keys_and_a_known_direction():
    assert len({t.key for t in TARGETS}) == len(TARGETS)
    assert {t.op for t in TARGETS} <= {">=", "<="}


class _FakeBenchmark:
    def __init__(self):
        self.extra_info = {}

    def pedantic(self, fn, rounds, iterations):
        for _ in range(rounds * iterations):
            fn()


def test_sides_alternate_which_goes_first_and_warm_up_is_not_recorded():
    calls = []
    rounds = interleaved(_FakeBenchmark(), {"a": lambda: calls.append("a") or 1.0,
                                            "b": lambda: calls.append("b") or 2.0}, rounds=3)
    assert calls == ["a", "b", "a", "b", "b", "a", "a", "b"]  # warm-up round, then AB BA AB
    assert rounds.seconds == {"a": [1.0] * 3, "b": [2.0] * 3}


def test_ratio_pairs_each_round_so_a_load_change_cancels():
    # Load doubles after two rounds: each side's median lands in a different regime, the pairs do not.
    rounds = Rounds({"raw": [1, 1, 2, 2, 2], "env": [1.25, 1.25, 1.25, 2.5, 2.5]})
    assert rounds.ratio("raw", "env") == 0.8
    assert rounds.median("raw") / rounds.median("env") != 0.8
