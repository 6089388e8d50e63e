"""The CLI's allocator setting: applied on glibc, and a user's own MALLOC_* settings win."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

PROBE = "from pvmbench.allocator import keep_freed_memory; print(keep_freed_memory())"


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_glibc_accepts_the_thresholds():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_a_users_own_malloc_settings_are_left_alone(monkeypatch):
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "131072")
    from pvmbench.allocator import keep_freed_memory

    assert keep_freed_memory() is False
