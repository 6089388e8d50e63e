"""The demo cache is keyed by the code that makes demos: a changed expert or env gets fresh frames."""

from __future__ import annotations

import pvmbench
from pvmbench.agents.bc import demos


def test_fingerprint_follows_env_and_expert_code(tmp_path, monkeypatch):
    (tmp_path / "envs").mkdir()
    (tmp_path / "agents").mkdir()
    (tmp_path / "envs" / "traffic.py").write_text("SPEED = 1\n")
    (tmp_path / "agents" / "scripted_driver.py").write_text("SIGHT = 60\n")
    (tmp_path / "agents" / "other.py").write_text("x = 1\n")
    monkeypatch.setattr(pvmbench, "__file__", str(tmp_path / "__init__.py"))
    first = demos.code_fingerprint()
    (tmp_path / "agents" / "other.py").write_text("x = 2\n")  # not demo-making code
    assert demos.code_fingerprint() == first
    (tmp_path / "agents" / "scripted_driver.py").write_text("SIGHT = 45\n")
    second = demos.code_fingerprint()
    (tmp_path / "envs" / "traffic.py").write_text("SPEED = 2\n")
    assert len({first, second, demos.code_fingerprint()}) == 3
