"""Time a measurement and its baseline in the same rounds, alternating, so load drift cancels.

Timed one after the other, two sides see different machine loads: the table-top ratio at 84 px read
0.958 in one run and 0.747 in a rerun on a busier machine. Here every round runs each side once, the
order flipping each round (A B, B A, A B, ...) so neither side always goes first.

A ratio is the median over rounds of each round's own ratio, not the ratio of the two sides' medians:
the two sides of a round run back to back, so load that lasts about a round cancels inside it. When
other jobs come and go over a run, the medians of the two sides can land in different load regimes
(seen here: 0.61 from the medians where the paired rounds gave 0.85).
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections.abc import Callable


@dataclasses.dataclass
class Rounds:
    seconds: dict[str, list[float]]  # side -> seconds of each round's call

    def median(self, side: str) -> float:
        """Median seconds per call: for rates to show beside a ratio."""
        return statistics.median(self.seconds[side])

    def ratio(self, num: str, den: str) -> float:
        """Median over rounds of num's seconds / den's seconds in the same round."""
        return statistics.median(a / b for a, b in zip(self.seconds[num], self.seconds[den], strict=True))


def interleaved(benchmark, sides: dict[str, Callable[[], float | None]], rounds: int,
                warmup_rounds: int = 1) -> Rounds:
    """Run `rounds` alternating rounds of every side under benchmark.pedantic.

    A side returns None to have its whole call timed, or the seconds it timed itself, to leave out
    what is not part of the measurement (a reset before the steps, a reference venv's start-up).
    pytest-benchmark times each whole round (all sides), so its stats are a round's cost; each
    side's rounds go to benchmark.extra_info["round_seconds"], the tests' ratios beside them.
    """
    times: dict[str, list[float]] = {key: [] for key in sides}
    order = list(sides)
    count = 0

    def one_round() -> None:
        nonlocal count
        for key in order if count % 2 == 0 else order[::-1]:
            start = time.perf_counter()
            own = sides[key]()
            times[key].append(time.perf_counter() - start if own is None else own)
        count += 1

    for _ in range(warmup_rounds):  # one-off costs (shaders, allocator, caches), not recorded
        one_round()
    for key in times:
        times[key].clear()
    count = 0
    benchmark.pedantic(one_round, rounds=rounds, iterations=1)
    benchmark.extra_info["round_seconds"] = times  # every round of every side, to judge the noise
    return Rounds(times)


def repeated(fn: Callable[[], object], reps: int) -> Callable[[], None]:
    """fn called reps times: one side's call, for a fast fn whose single call is too short to time."""

    def run() -> None:
        for _ in range(reps):
            fn()

    return run
