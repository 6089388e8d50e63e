"""ShiftSpec: which level, severity or preset an env draws scenarios from; `--shift` is parsed here, once.

The forms (the same for `gym.make(..., shift=)` and `pvmbench eval --shift`):

- a level name: ``id``, ``easy``, ``hard`` (and ``train`` where a suite has one);
- ``severity=<s>``: every factor at position s in [0, 1] of the suite's ladder;
  ``severity=<s>:<factor>[,<factor>...]`` moves only those factors (the others stay at the ladder's start);
- ``preset=<name>``: a named weather preset of a suite that has them (driving), everything else at ``id``;
- ``factor=<name>``: that one factor of the suite at its ``hard`` setting, every other factor at ``id``;
  ``factor=<name>@<s>`` puts it at s on its own ladder. Factor levels are paired with ``id``: episode i
  gets the same seed at ``id`` and at every factor level of a run (see benchmark/episodes.py).

A `--shift` text may list several: ``all`` (the reported levels), ``id,hard``, a sweep
``severity=0,0.5,1`` (with ``:<factors>`` after the numbers), ``presets`` (every rung of the ladder),
``factors`` (``id`` and every factor of the suite alone at ``hard``), ``factor=a,factor=b``, or one
factor's ladder ``factor=<name>@0,0.5,1``.
Each spec has one canonical `label`, which is what results record as the level.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from pvmbench.errors import UserError

# The levels every suite defines and every report shows, in this order: the one definition of their names.
LEVELS = ("id", "easy", "hard")
TRAIN_LEVEL = "train"  # a suite may add a training-time distribution; it is never reported
SEVERITY, PRESET, FACTOR = "severity=", "preset=", "factor="


@dataclasses.dataclass(frozen=True)
class ShiftSpec:
    """Exactly one of: a level name, a severity in [0, 1] (optionally for some factors only), a preset, or
    one factor (at its hard setting, or at `severity` on its own ladder)."""

    level: str | None = None
    severity: float | None = None
    factors: tuple[str, ...] | None = None
    preset: str | None = None
    factor: str | None = None

    def __post_init__(self) -> None:
        kinds = (self.level, self.severity if self.factor is None else None, self.preset, self.factor)
        if sum(x is not None for x in kinds) != 1:
            raise UserError("a shift is exactly one of a level, a severity, a preset or a factor")
        if self.severity is not None:
            if isinstance(self.severity, bool) or not 0.0 <= float(self.severity) <= 1.0:
                raise UserError(f"severity={self.severity}: accepted values are numbers in [0, 1]")
            object.__setattr__(self, "severity", float(self.severity))
        if self.factors is not None:
            if self.severity is None or self.factor is not None or not self.factors:
                raise UserError("factors restrict a severity ladder: severity=<s>:<factor>[,<factor>...]")
            object.__setattr__(self, "factors", tuple(self.factors))

    @property
    def position(self) -> float | None:
        """Where on the suite's id -> hard ladder the moved factors sit (a factor alone: 1 unless given)."""
        if self.factor is not None:
            return 1.0 if self.severity is None else self.severity
        return self.severity

    @property
    def moved_factors(self) -> tuple[str, ...] | None:
        """The factors a ladder position applies to (None: every factor)."""
        return (self.factor,) if self.factor is not None else self.factors

    @property
    def label(self) -> str:
        """The canonical text of this spec; results record it as the level."""
        if self.level is not None:
            return self.level
        if self.preset is not None:
            return f"{PRESET}{self.preset}"
        if self.factor is not None:
            return f"{FACTOR}{self.factor}" + ("" if self.severity is None else f"@{self.severity:g}")
        suffix = f":{','.join(self.factors)}" if self.factors else ""
        return f"{SEVERITY}{self.severity:g}{suffix}"

    def __str__(self) -> str:
        return self.label


def _accepted(levels: Sequence[str], presets: Sequence[str]) -> str:
    forms = [*levels, "severity=<0..1>[:<factor>,...]", "factor=<name>[@<0..1>]"]
    if presets:
        forms.append("preset=<name>")
    return ", ".join(forms)


def _severity(text: str, whole: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise UserError(f"shift {whole!r}: severity must be a number in [0, 1], got {text!r}") from None


def _factors(text: str, whole: str, factors: Sequence[str] | None) -> tuple[str, ...] | None:
    if not text:
        return None
    chosen = [f.strip() for f in text.split(",") if f.strip()]
    if factors is not None:
        unknown = [f for f in chosen if f not in factors]
        if unknown:
            raise UserError(f"shift {whole!r}: factor {unknown[0]!r} is not in the suite; accepted: {', '.join(factors)}")
        chosen = [f for f in factors if f in chosen]  # canonical order: the suite's
        if len(chosen) == len(factors):
            return None  # every factor: the same shift as the plain severity, so the same label
    return tuple(dict.fromkeys(chosen)) or None


def parse_shift(value: str | ShiftSpec, levels: Sequence[str] = LEVELS, factors: Sequence[str] | None = None,
                presets: Sequence[str] = ()) -> ShiftSpec:
    """One spec from one form, checked against a suite's levels, factors and presets."""
    if isinstance(value, ShiftSpec):
        return parse_shift(value.label, levels, factors, presets)
    if not isinstance(value, str):
        raise UserError(f"shift={value!r}: accepted: {_accepted(levels, presets)}")
    text = value.strip()
    if text in levels:
        return ShiftSpec(level=text)
    if text.startswith(SEVERITY):
        number, _, names = text[len(SEVERITY):].partition(":")
        return ShiftSpec(severity=_severity(number.strip(), text), factors=_factors(names, text, factors))
    if text.startswith(FACTOR):
        name, at, number = text[len(FACTOR):].partition("@")
        name = name.strip()
        if factors is not None and name not in factors:
            raise UserError(f"shift {text!r}: factor {name!r} is not in the suite; accepted: {', '.join(factors)}")
        if not name:
            raise UserError(f"shift {text!r}: accepted: factor=<name> or factor=<name>@<0..1>")
        severity = _severity(number.strip(), text) if at else None
        return ShiftSpec(factor=name, severity=None if severity == 1.0 else severity)  # @1 is the hard setting
    if text.startswith(PRESET) and presets:
        name = text[len(PRESET):].strip()
        if name not in presets:
            raise UserError(f"shift {text!r}: unknown preset; accepted: {', '.join(presets)}")
        return ShiftSpec(preset=name)
    raise UserError(f"unknown shift {text!r}; accepted: {_accepted(levels, presets)}")


def parse_shifts(text: str, levels: Sequence[str] = LEVELS, factors: Sequence[str] | None = None,
                 presets: Sequence[str] = (), ladder: Sequence[str] = ()) -> list[ShiftSpec]:
    """Every spec a `--shift` text names, in order, without duplicates; each checked as parse_shift does."""
    if not isinstance(text, str) or not text.strip():
        raise UserError(f"--shift {text!r}: accepted: all, a comma list of {_accepted(levels, presets)}, "
                        "or severity=<s>,<s>,...")
    text = text.strip()
    if text == "all":
        specs = [ShiftSpec(level=lv) for lv in LEVELS if lv in levels]
    elif text == "presets":
        if not ladder:
            raise UserError(f"--shift presets: this suite has no preset ladder; accepted: {_accepted(levels, presets)}")
        specs = [ShiftSpec(preset=name) for name in ladder]
    elif text == "factors":
        if not factors:
            raise UserError("--shift factors: this suite lists no factors")
        specs = [ShiftSpec(level=LEVELS[0]), *(ShiftSpec(factor=f) for f in factors)]
    elif text.startswith(FACTOR) and text.count(FACTOR) == 1 and "@" in text:
        head, _, numbers = text.partition("@")  # one factor's ladder: factor=<name>@0,0.5,1
        specs = [parse_shift(f"{head}@{n.strip()}", levels, factors, presets) for n in numbers.split(",") if n.strip()]
    elif text.startswith(SEVERITY):
        numbers, sep, names = text[len(SEVERITY):].partition(":")
        specs = [parse_shift(f"{SEVERITY}{n.strip()}{sep}{names}", levels, factors, presets)
                 for n in numbers.split(",") if n.strip()]
    else:
        specs = [parse_shift(item, levels, factors, presets) for item in text.split(",") if item.strip()]
    if not specs:
        raise UserError(f"--shift {text!r}: names no level; accepted: all, {_accepted(levels, presets)}")
    return list(dict.fromkeys(specs))
