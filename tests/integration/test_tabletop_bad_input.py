"""Bad input gets one line that names the field or file and what is accepted."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys
import warnings

import pytest
import yaml

from pvmbench.errors import UserError
from pvmbench.shifts.suite import SUITES_DIR
from pvmbench.shifts.tabletop import TableTopShift, load_tabletop_suite
from tests.integration.tabletop_helpers import make
from tests.ycb_fixture import make_ycb_fixture


def test_unknown_shift_level_names_accepted_values():
    with pytest.raises(UserError, match=r"unknown shift 'extreme'; accepted: id, easy, hard, severity=<0..1>\[:<factor>,...\], "
                                     r"factor=<name>\[@<0..1>\]$"):
        make(shift="extreme")
    with pytest.raises(UserError, match=r"severity=1.5: accepted values are numbers in \[0, 1\]"):
        make(shift="severity=1.5")


def test_bad_make_kwargs_name_the_field():
    with pytest.raises(UserError, match="image_size=32: accepted: an integer from 64 to 512"):
        make(image_size=32)
    with pytest.raises(UserError, match="camera='top'"):
        make(camera="top")
    with pytest.raises(UserError, match="objects='lego'"):
        TableTopShift("id", objects="lego")


def _broken_suite(tmp_path: pathlib.Path, edit) -> pathlib.Path:
    data = yaml.safe_load((SUITES_DIR / "tabletop-v1.yaml").read_text())
    edit(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    "edit, field",
    [
        (lambda d: d["levels"]["hard"]["lighting"].update(intensity="bright"), "levels.hard.lighting.intensity"),
        (lambda d: d["levels"]["easy"]["layout"].pop("ring_prob"), "levels.easy.layout.ring_prob"),
        (lambda d: d["levels"]["id"]["objects"].update(heldout_prob=1.5), "levels.id.objects.heldout_prob"),
        (lambda d: d["levels"]["hard"]["table_texture"].update(families=["velvet"]), "levels.hard.table_texture.families"),
        (lambda d: d["severity"].update(to="extreme"), "severity.to"),
        (lambda d: d["objects"]["procedural"]["heldout"].append("proc_000"), "objects.procedural"),
    ],
)
def test_malformed_suite_names_the_field(tmp_path, edit, field):
    path = _broken_suite(tmp_path, edit)
    with pytest.raises(UserError) as err:
        load_tabletop_suite(str(path))
    message = str(err.value)
    assert f"broken.yaml: field {field}" in message and "\n" not in message


def test_suite_that_is_not_yaml(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("levels: [id\n  easy: {")
    with pytest.raises(UserError, match="bad.yaml: line .* is not valid YAML"):
        load_tabletop_suite(str(path))


def test_ycb_dir_with_missing_files_warns_once_and_still_runs(tmp_path, monkeypatch):
    suite = load_tabletop_suite()
    ycb = suite.data["objects"]["ycb"]
    present = ycb["id"][:3] + ycb["heldout"][:2]
    make_ycb_fixture(tmp_path, present, faces=400)
    shutil.rmtree(tmp_path / present[0] / "google_16k")  # one object with its files gone
    monkeypatch.setenv("PVMBENCH_YCB_DIR", str(tmp_path))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        env = make(objects="ycb", shift="easy")
    ycb_warnings = [str(w.message) for w in caught if "YCB objects not found" in str(w.message)]
    assert len(ycb_warnings) == 1 and present[0] in ycb_warnings[0]
    # One short line: the count, the first names and the directory, not all 70 absent names.
    absent = len(ycb["id"]) + len(ycb["heldout"]) - len(present) + 1
    assert ycb_warnings[0].startswith(f"{absent} of ") and str(tmp_path) in ycb_warnings[0]
    assert "\n" not in ycb_warnings[0] and len(ycb_warnings[0]) < 200 + len(str(tmp_path))
    obs, info = env.reset(seed=0)
    assert info["scenario"]["objects"]["target"] in ycb["heldout"][:2]
    assert obs["image"].std() > 5  # a real frame, not a blank one


def test_ycb_dir_with_no_objects_is_an_error_naming_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PVMBENCH_YCB_DIR", str(tmp_path))
    with pytest.raises(UserError, match=str(tmp_path)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            make(objects="ycb")


def test_cli_bad_shift_is_one_line_without_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pvmbench.cli", "shifts", "gallery", "--levels", "id,extreme", "--out", str(tmp_path / "g.png")],
        capture_output=True, text=True,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == ("pvmbench: error: unknown shift 'extreme'; accepted: id, easy, hard, "
                                     "severity=<0..1>[:<factor>,...], factor=<name>[@<0..1>]")
    assert not (tmp_path / "g.png").exists()


def test_ycb_level_left_without_objects_names_the_dir(tmp_path, monkeypatch):
    ycb = load_tabletop_suite().data["objects"]["ycb"]
    make_ycb_fixture(tmp_path, ycb["id"][:2], faces=200)  # ID objects only: no held-out ones
    monkeypatch.setenv("PVMBENCH_YCB_DIR", str(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        make(objects="ycb", shift="id").reset(seed=0)  # id needs only ID objects
        with pytest.raises(UserError, match=f"needs YCB heldout objects but none were found in {tmp_path}"):
            make(objects="ycb", shift="hard")
