"""Checkpoint format v1: ``torch.save`` of plain data plus tensors, loaded with ``weights_only=True``.

On disk a checkpoint is the dict ``{"format": "pvmbench", "version": 1, "agent": str, "env": str,
"config": dict, "state_dict": {str: Tensor}, "meta": dict}``. Loading never executes code from the file.
A frozen pretrained encoder is not copied in; agents record its name and hash in config/meta.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import re
import reprlib
import uuid
import zipfile
from typing import Any

import torch

from pvmbench.errors import UserError

FORMAT = "pvmbench"
VERSION = 1
_KEYS = ("format", "version", "agent", "env", "config", "state_dict", "meta")

__all__ = [
    "FORMAT", "VERSION", "save_checkpoint", "load_checkpoint", "checkpoint_sha256", "parameter_count",
    "describe_checkpoint", "check_state_dict",
]


def _short(value: Any) -> str:
    # reprlib caps the length, and repr never contains a raw newline: messages stay on one line.
    return reprlib.repr(value)


def _check_plain(value: Any, where: str, seen: tuple[int, ...] = ()) -> None:
    """Reject anything but JSON-like data, so the checkpoint loads under weights_only and reads the same later."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return
    if not isinstance(value, (dict, list)):
        raise UserError(f"{where} has type {type(value).__name__}; only str, int, float, bool, None, list and "
                        "dict with str keys are allowed")
    if id(value) in seen:  # a cycle would otherwise recurse until RecursionError
        raise UserError(f"{where} contains itself")
    seen = (*seen, id(value))
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_plain(item, f"{where}[{i}]", seen)
        return
    for key, item in value.items():
        if not isinstance(key, str):
            raise UserError(f"{where} has a non-str key {_short(key)}; only str keys are allowed")
        _check_plain(item, f"{where}[{key!r}]", seen)


def _plain_tensor(key: str, t: Any) -> torch.Tensor:
    if not isinstance(t, torch.Tensor):
        raise UserError(f"state_dict[{key!r}] has type {type(t).__name__}, expected torch.Tensor")
    if t.layout != torch.strided or t.is_meta:
        raise UserError(f"state_dict[{key!r}] is a {t.layout} tensor on {t.device}; only dense tensors "
                        "with data are supported")
    t = t.detach().cpu().contiguous()
    # A view saves its whole underlying storage; copy it out so a slice of a big buffer stays small.
    if t.storage_offset() != 0 or t.untyped_storage().nbytes() != t.numel() * t.element_size():
        t = t.clone()
    return t


def save_checkpoint(path: str | os.PathLike, *, agent: str, env: str, config: dict,
                    state_dict: dict, meta: dict | None = None) -> None:
    """Write a v1 checkpoint atomically. Identical arguments give byte-identical files (nothing is added)."""
    for name, value in (("agent", agent), ("env", env)):
        if not isinstance(value, str) or not value:
            raise UserError(f"{name} must be a non-empty str, got {_short(value)}")
    meta = {} if meta is None else meta
    for name, value in (("config", config), ("meta", meta)):
        if not isinstance(value, dict):
            raise UserError(f"{name} must be a dict, got type {type(value).__name__}")
        _check_plain(value, name)
    if not isinstance(state_dict, dict):
        raise UserError(f"state_dict must be a dict of str -> torch.Tensor, got type {type(state_dict).__name__}")
    tensors = {}
    for key, t in state_dict.items():
        if not isinstance(key, str):
            raise UserError(f"state_dict has a non-str key {_short(key)}")
        tensors[key] = _plain_tensor(key, t)
    payload = {"format": FORMAT, "version": VERSION, "agent": agent, "env": env, "config": config,
               "state_dict": tensors, "meta": meta}
    # Serialize to memory: torch names the zip's inner folder after a real file's name, so saving via
    # the temp file would make the bytes (and sha256) depend on a random name. A buffer always gets "archive".
    buf = io.BytesIO()
    torch.save(payload, buf)

    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        # os.open with 0o666 lets the umask decide permissions, like a plain open() would (mkstemp forces 0600).
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as f:
            f.write(buf.getbuffer())
            f.flush()
            os.fsync(f.fileno())  # data on disk before the rename makes it visible
        os.replace(tmp, path)
    except OSError as e:
        raise UserError(f"{path}: cannot write checkpoint: {e.strerror or e}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    try:  # persist the rename itself; not possible on every platform, and the file is complete either way
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def _bad_crc(name: str) -> bool:
    try:
        with zipfile.ZipFile(name) as z:
            return z.testzip() is not None
    except Exception:  # zipfile raises assorted errors on damaged archives; any of them means corrupt
        return True


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Load and validate a v1 checkpoint with weights_only=True. Every failure is a one-line UserError."""
    name = os.fspath(path)
    if not os.path.isfile(name):
        raise UserError(f"{name}: no such checkpoint file")
    # torch.save writes a zip; anything else (random bytes, a cut-off file with no central directory) is
    # caught here, because torch would otherwise try the legacy pickle path and report a confusing error.
    if not zipfile.is_zipfile(name):
        raise UserError(f"{name}: not a PyTorch checkpoint (not a torch.save zip file, or truncated)")
    try:
        obj = torch.load(name, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        # torch does not check the zip CRCs, so damaged pickle bytes also surface as a weights_only refusal;
        # checking them here (only on this failure path) keeps "corrupt" apart from "contains code".
        if "Weights only load failed" not in str(e) or _bad_crc(name):
            raise UserError(f"{name}: corrupt checkpoint (damaged pickle data)") from None
        found = re.search(r"GLOBAL (\S+)", str(e))
        what = f" ({found.group(1)})" if found else ""
        raise UserError(f"{name}: contains code or types{what} that weights_only loading refuses, "
                        "so it was not loaded") from None
    except Exception as e:  # torch raises RuntimeError, EOFError, KeyError, ... for damaged archives
        raise UserError(f"{name}: corrupt, truncated or not a torch.save archive ({type(e).__name__})") from None

    if not isinstance(obj, dict):
        raise UserError(f"{name}: top-level object has type {type(obj).__name__}, expected dict")
    if obj.get("format") != FORMAT:
        found = _short(obj["format"]) if "format" in obj else "no 'format' key"
        raise UserError(f"{name}: not a pvmbench checkpoint: expected format {FORMAT!r}, found {found}")
    if "version" not in obj:
        raise UserError(f"{name}: checkpoint has no 'version' key; supported versions: {VERSION}")
    if type(obj["version"]) is not int or obj["version"] != VERSION:  # type(): True must not pass for 1
        raise UserError(f"{name}: unsupported checkpoint version {_short(obj['version'])}; "
                        f"supported versions: {VERSION}")
    missing = [k for k in _KEYS if k not in obj]
    if missing:
        raise UserError(f"{name}: checkpoint is missing keys: {', '.join(missing)}")
    for key in ("agent", "env"):
        if not isinstance(obj[key], str):
            raise UserError(f"{name}: {key!r} has type {type(obj[key]).__name__}, expected str")
    for key in ("config", "meta", "state_dict"):
        if not isinstance(obj[key], dict):
            raise UserError(f"{name}: {key!r} has type {type(obj[key]).__name__}, expected dict")
    for key, t in obj["state_dict"].items():
        if not isinstance(key, str):
            raise UserError(f"{name}: state_dict has a non-str key {_short(key)}")
        if not isinstance(t, torch.Tensor):
            raise UserError(f"{name}: state_dict[{key!r}] has type {type(t).__name__}, expected torch.Tensor")
    return obj


def checkpoint_sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of the file bytes, read in chunks so large checkpoints are not held in memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def parameter_count(state_dict: dict) -> int:
    """Total numel over all tensors, whatever their dtype: buffers and integer tensors count too."""
    return sum(t.numel() for t in state_dict.values())


def describe_checkpoint(path: str | os.PathLike) -> dict:
    """Summary for ``pvmbench inspect``: identity, config/meta, sizes and hash."""
    ckpt = load_checkpoint(path)
    return {
        "agent": ckpt["agent"], "env": ckpt["env"], "config": ckpt["config"], "meta": ckpt["meta"],
        "parameters": parameter_count(ckpt["state_dict"]), "tensors": len(ckpt["state_dict"]),
        "sha256": checkpoint_sha256(path), "size_bytes": os.path.getsize(path),
    }


def check_state_dict(state_dict: dict, expected: dict[str, tuple[int, ...]], path: str | os.PathLike) -> None:
    """For agents: raise UserError on the first tensor of ``expected`` that is missing or mis-shaped.

    Keys in state_dict but not in expected are allowed; the agent decides whether they matter.
    """
    for key, shape in expected.items():
        want = tuple(shape)
        if key not in state_dict:
            raise UserError(f"{os.fspath(path)}: state_dict has no tensor {key!r} (expected shape {want})")
        got = tuple(state_dict[key].shape)
        if got != want:
            raise UserError(f"{os.fspath(path)}: state_dict[{key!r}] has shape {got}, expected {want}")
