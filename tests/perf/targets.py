"""The speed targets BENCHMARKS.md states, in one place, so a run can be checked against them.

Each perf test stores the figure it computes in pytest-benchmark's extra_info under `key`;
tools/perf_report.py reads the JSON of a run (--benchmark-json) and prints every figure beside its
target. A target applies to every parametrised case of the test that stores its key. A ratio against
a baseline is the median of per-round ratios over rounds that alternate the two sides
(tests/perf/interleave.py).

No imports beyond the standard library: the report loads this without pytest or pvmbench.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Target:
    key: str  # extra_info key the test stores the figure under
    label: str  # BENCHMARKS.md's wording
    computed: str  # what is divided by what
    op: str  # ">=" or "<="
    value: float
    test: str  # where the figure is computed

    def met(self, measured: float) -> bool:
        if self.op == ">=":
            return measured >= self.value
        if self.op == "<=":
            return measured <= self.value
        raise ValueError(f"{self.key}: unknown op {self.op!r}")


TARGETS = [
    Target("tabletop_step_render_vs_raw", "TableTopPick-v0 step + render vs raw MuJoCo on the same model",
           "env steps/s / raw mj_step x 50 + render steps/s", ">=", 0.9,
           "test_tabletop_speed.py::test_step_render_ratio_to_raw_mujoco"),
    Target("tabletop_reset_ms", "TableTopPick-v0 reset with a new scenario, median ms (224 px)",
           "median of 40 resets, first frame included (not a ratio)", "<=", 5.0,
           "test_tabletop_speed.py::test_reset_time"),
    Target("tabletop_vs_robosuite_lift", "pvmbench TableTopPick-v0 vs robosuite Lift, 84 px",
           "pvmbench steps/s / robosuite steps/s, both 10 Hz control", ">=", 20.0,
           "test_tabletop_speed.py::test_robosuite_lift_84px_side_by_side"),
    Target("harness_scaling_1_to_2_workers", "harness scaling 1 -> 2 workers",
           "episodes/s with 2 worker processes / with 1", ">=", 1.8,
           "test_harness_speed.py::test_worker_scaling"),
    Target("harness_vs_bare_loop_in_process", "harness per step vs a bare loop, in-process hosts",
           "harness s/step / bare loop s/step (1.10 = +10%)", "<=", 1.10,
           "test_harness_speed.py::test_harness_overhead_per_step_vs_bare_loop"),
    Target("highway_step_render_vs_raw", "Highway-v1 step + render vs raw MuJoCo rendering",
           "env steps/s / raw render frames/s", ">=", 0.85,
           "test_highway_speed.py::test_step_render_ratio_to_raw_mujoco"),
    Target("highway_vs_highway_env", "pvmbench Highway-v1 vs highway-env highway-fast-v0, 84 px",
           "pvmbench steps/s / highway-env steps/s", ">=", 2.0,
           "test_highway_speed.py::test_highway_env_fast_84px_side_by_side"),
    Target("encoder_call_vs_bare_forward", "encoder preprocessing overhead",
           "bare forward images/s / encoder(uint8 images) images/s", "<=", 1.2,
           "test_encoder_speed.py::test_encoder_images_per_second"),
    Target("agent_act_vs_bare_forward", "encoder inside Agent.act vs the bare forward",
           "bare forward images/s / BCAgent.act images/s", "<=", 1.2,
           "test_agent_act_speed.py::test_act_images_per_second"),
    Target("dreamerv3_act_vs_bare_forward", "DreamerV3 Agent.act vs the bare actor forward",
           "bare forward steps/s / DreamerV3Agent.act steps/s", "<=", 1.2,
           "test_dreamerv3_speed.py::test_act_vs_bare_forward"),
]
