"""`--shift` is parsed once, in shifts/, into specs checked against the suite, each with one canonical label."""

from __future__ import annotations

import pytest

from pvmbench.errors import UserError
from pvmbench.shifts.spec import LEVELS, ShiftSpec, parse_shift, parse_shifts
from pvmbench.shifts.tabletop import load_tabletop_suite
from pvmbench.shifts.weather import load_driving_suite


@pytest.fixture(scope="module")
def tabletop():
    return load_tabletop_suite()


@pytest.fixture(scope="module")
def driving():
    return load_driving_suite()


def test_one_canonical_label_whatever_the_spelling(tabletop):
    # The label is what results record as the level: two spellings of one shift must not become two levels.
    assert tabletop.parse("severity=0.50").label == "severity=0.5"
    assert tabletop.parse(" severity=1.0 ").label == "severity=1"
    assert tabletop.parse("severity=0.5:camera,lighting").label == "severity=0.5:lighting,camera"  # suite order
    every = ",".join(tabletop.factors)
    assert tabletop.parse(f"severity=0.25:{every}").label == "severity=0.25"  # all factors = the plain ladder
    assert tabletop.parse(ShiftSpec(severity=0.5)) == tabletop.parse("severity=0.5")


def test_forms_a_run_can_name(tabletop, driving):
    assert [s.label for s in tabletop.parse_many("all")] == list(LEVELS)
    assert [s.label for s in tabletop.parse_many("hard,id,hard")] == ["hard", "id"]  # no duplicate levels
    sweep = tabletop.parse_many("severity=0,0.5,1:lighting")
    assert [s.label for s in sweep] == ["severity=0:lighting", "severity=0.5:lighting", "severity=1:lighting"]
    assert [s.severity for s in sweep] == [0.0, 0.5, 1.0]
    assert driving.parse_many("train")[0].level == "train"
    presets = driving.parse_many("presets")
    assert [s.preset for s in presets] == list(driving.preset_ladder) and presets[0].label.startswith("preset=")
    assert [s.label for s in tabletop.parse_many("id,severity=0.3")] == ["id", "severity=0.3"]


@pytest.mark.parametrize("text, message", [
    ("extreme", "unknown shift 'extreme'; accepted: id, easy, hard"),
    ("severity=high", "severity must be a number in [0, 1]"),
    ("severity=1.5", "accepted values are numbers in [0, 1]"),
    ("severity=0.5:fog", "factor 'fog' is not in the suite; accepted: objects, layout"),
    ("preset=soft_low_light", "unknown shift"),  # the table-top suite has no presets
    ("presets", "this suite has no preset ladder"),
    ("", "--shift ''"),
    ("train", "unknown shift 'train'"),  # tabletop-v1 defines no training level
])
def test_bad_shift_is_one_line_naming_what_is_accepted(tabletop, text, message):
    with pytest.raises(UserError, match=message.replace("[", r"\[").replace("]", r"\]")) as err:
        tabletop.parse_many(text)
    assert "\n" not in str(err.value)


def test_driving_presets_are_checked(driving):
    assert driving.parse("preset=hard_low_light").preset == "hard_low_light"
    with pytest.raises(UserError, match="unknown preset; accepted: hard_high_light"):
        driving.parse("preset=blizzard")
    assert driving.parse("severity=0.5:weather").label == "severity=0.5"  # its one factor: the plain ladder


def test_a_spec_is_exactly_one_thing():
    with pytest.raises(UserError):
        ShiftSpec(level="id", severity=0.5)
    with pytest.raises(UserError):
        ShiftSpec()
    with pytest.raises(UserError):
        ShiftSpec(level="id", factors=("lighting",))


def test_without_a_suite_levels_and_severities_still_parse():
    assert parse_shift("hard") == ShiftSpec(level="hard")
    assert parse_shift("severity=0.25:lighting").factors == ("lighting",)
    assert [s.label for s in parse_shifts("severity=0,1")] == ["severity=0", "severity=1"]
