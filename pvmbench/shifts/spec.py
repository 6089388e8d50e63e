"""ShiftSpec: which suite, and which level or severity, an env or an eval run draws scenarios from."""

from __future__ import annotations

import dataclasses
import re

from pvmbench.errors import UserError

LEVELS = ("id", "easy", "hard")
_SEVERITY = re.compile(r"^severity=(.+)$")


@dataclasses.dataclass(frozen=True)
class ShiftSpec:
    """A level name (``id``, ``easy``, ``hard``, or ``train`` where a suite has one), or a severity.

    ``severity`` is one number in [0, 1] for every factor, and ``factors`` optionally restricts
    the ladder to some factors (the others stay at ``id``).
    """

    level: str | None = None
    severity: float | None = None
    factors: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if (self.level is None) == (self.severity is None):
            raise UserError("a shift is either a level or a severity, not both or neither")
        if self.severity is not None and not 0.0 <= self.severity <= 1.0:
            raise UserError(f"severity={self.severity}: accepted values are numbers in [0, 1]")

    @property
    def label(self) -> str:
        if self.level is not None:
            return self.level
        suffix = f":{','.join(self.factors)}" if self.factors else ""
        return f"severity={self.severity:g}{suffix}"


def parse_shift(value: str | ShiftSpec, levels: tuple[str, ...] = LEVELS) -> ShiftSpec:
    """The forms accepted by `gym.make(..., shift=)` and `--shift`: a level or 'severity=<0..1>'."""
    if isinstance(value, ShiftSpec):
        if value.level is not None and value.level not in levels:
            raise UserError(_unknown(value.level, levels))
        return value
    if not isinstance(value, str):
        raise UserError(f"shift={value!r}: accepted: {_accepted(levels)}")
    text = value.strip()
    if text in levels:
        return ShiftSpec(level=text)
    match = _SEVERITY.match(text)
    if match:
        number, _, factors = match.group(1).partition(":")
        try:
            severity = float(number)
        except ValueError:
            raise UserError(f"shift={value!r}: severity must be a number in [0, 1]") from None
        return ShiftSpec(severity=severity, factors=tuple(factors.split(",")) if factors else None)
    raise UserError(_unknown(text, levels))


def _accepted(levels: tuple[str, ...]) -> str:
    return ", ".join(levels) + ", severity=<0..1>"


def _unknown(value: str, levels: tuple[str, ...]) -> str:
    return f"unknown shift {value!r}; accepted: {_accepted(levels)}"
