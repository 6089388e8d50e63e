"""A command that needs an optional extra which is not installed says which one in one line, exit 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Each case blocks one module (as if its extra were not installed) and runs a command that needs it.
CASES = [
    ("matplotlib", ["analyze", "forgetting", "--checkpoint", "checkpoints/bc_tabletop_v1_efficientnet-lite0_partial_seed0.pt"],
     "pvmbench analyze forgetting needs matplotlib: pip install 'pvmbench[plots]'"),
    ("seaborn", ["plot", "results/published"], "pip install 'pvmbench[plots]'"),
    ("transformers", ["train", "--algo", "bc", "--encoder", "hf:/nowhere", "--mode", "frozen", "--out", "x.pt"],
     "pip install 'pvmbench[hf]'"),
]


@pytest.mark.parametrize("module, args, message", CASES, ids=[c[0] for c in CASES])
def test_missing_extra_is_one_line(module, args, message):
    code = (f"import sys; sys.modules[{module!r}] = None; from pvmbench.cli import main; "
            f"sys.exit(main({args!r}))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in run.stderr
