"""A progress bar for long runs: episodes done, episodes/s and ETA (tqdm, on stderr)."""

from __future__ import annotations

import sys

from tqdm import tqdm


class Progress:
    def __init__(self, total: int, done: int = 0, enabled: bool = True):
        self._bar = tqdm(total=total, initial=done, unit="ep", desc="eval", disable=not enabled,
                         file=sys.stderr, dynamic_ncols=True, smoothing=0.1,
                         bar_format="{desc}: {n}/{total} episodes |{bar}| {rate_fmt} ETA {remaining} {postfix}")
        self.failed = 0

    def update(self, status: str) -> None:
        if status == "failed":
            self.failed += 1
            self._bar.set_postfix_str(f"{self.failed} failed", refresh=False)
        self._bar.update(1)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self._bar.close()
