"""Checkpoint format v1: round trip, weights_only safety, atomic save and one-line errors naming the file."""

import os
import pathlib
import zipfile

import pytest
import torch

from pvmbench.agents import checkpoint as ck
from pvmbench.errors import UserError

CONFIG = {"hidden": [64, 64], "lr": 3e-4, "encoder": {"name": "r3m-resnet18", "sha256": "ab" * 32},
          "frozen": True, "notes": None}
META = {"seed": 7, "steps": 100_000}


def _state():
    g = torch.Generator().manual_seed(0)
    return {"policy.w": torch.randn(4, 3, generator=g), "policy.b": torch.zeros(4),
            "steps": torch.tensor(5, dtype=torch.int64)}


def _save(path, **overrides):
    kwargs = {"agent": "mlp-bc", "env": "pvm/Lift-v0", "config": CONFIG, "state_dict": _state(), "meta": META}
    kwargs.update(overrides)
    ck.save_checkpoint(path, **kwargs)


def _raw(path, obj):
    """Write arbitrary data with plain torch.save, bypassing save_checkpoint's validation."""
    torch.save(obj, path)


def _valid_dict(**overrides):
    d = {"format": "pvmbench", "version": 1, "agent": "a", "env": "e", "config": {},
         "state_dict": {"w": torch.ones(2)}, "meta": {}}
    d.update(overrides)
    return d


def _load_error(path) -> str:
    with pytest.raises(UserError) as info:
        ck.load_checkpoint(path)
    msg = str(info.value)
    assert "\n" not in msg, msg
    assert str(path) in msg, msg
    return msg


class _Touch:
    """A pickle payload that, if unpickled unsafely, creates a marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


class _Shell(_Touch):
    """The same, through a shell command."""

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


def test_round_trip(tmp_path):
    p = tmp_path / "ckpt.pt"
    _save(p)
    got = ck.load_checkpoint(p)
    assert got["format"] == ck.FORMAT == "pvmbench" and got["version"] == ck.VERSION == 1
    assert (got["agent"], got["env"]) == ("mlp-bc", "pvm/Lift-v0")
    assert got["config"] == CONFIG and got["meta"] == META
    assert set(got) == {"format", "version", "agent", "env", "config", "state_dict", "meta"}
    want = _state()
    assert list(got["state_dict"]) == list(want)
    for k, t in want.items():
        assert torch.equal(got["state_dict"][k], t) and got["state_dict"][k].dtype == t.dtype


def test_meta_defaults_to_empty_and_nothing_is_added(tmp_path):
    p = tmp_path / "ckpt.pt"
    _save(p, meta=None)
    assert ck.load_checkpoint(p)["meta"] == {}


def test_saved_tensors_are_detached_and_compact(tmp_path):
    p = tmp_path / "ckpt.pt"
    big = torch.randn(1000, 10, requires_grad=True)
    _save(p, state_dict={"row": big[3:4], "t": big.T})
    sd = ck.load_checkpoint(p)["state_dict"]
    assert not sd["row"].requires_grad and sd["t"].is_contiguous()
    assert torch.equal(sd["row"], big[3:4].detach()) and torch.equal(sd["t"], big.T.detach())
    assert sd["row"].untyped_storage().nbytes() == 10 * 4  # not the whole 1000x10 buffer


@pytest.mark.parametrize("payload", [_Touch, _Shell])
def test_load_refuses_code_execution(tmp_path, payload):
    # Control: the payload really does run when loaded unsafely, so the check below means something.
    control = tmp_path / "control-marker"
    _raw(tmp_path / "control.pt", _valid_dict(meta={"x": payload(control)}))
    torch.load(tmp_path / "control.pt", weights_only=False)
    assert control.exists()

    marker = tmp_path / "marker"
    p = tmp_path / "evil.pt"
    _raw(p, _valid_dict(meta={"x": payload(marker)}))
    msg = _load_error(p)
    assert "contains code or types" in msg and "weights_only" in msg and "not loaded" in msg
    assert not marker.exists()


def test_wrong_format(tmp_path):
    p = tmp_path / "c.pt"
    _raw(p, _valid_dict(format="other"))
    assert "expected format 'pvmbench', found 'other'" in _load_error(p)


def test_plain_torch_save_is_not_pvmbench(tmp_path):
    p = tmp_path / "c.pt"
    _raw(p, {"a": 1})
    assert "not a pvmbench checkpoint" in _load_error(p)


def test_top_level_not_a_dict(tmp_path):
    p = tmp_path / "c.pt"
    _raw(p, [1, 2])
    assert "top-level object has type list, expected dict" in _load_error(p)


@pytest.mark.parametrize("version", [2, "1", True])
def test_wrong_version(tmp_path, version):
    p = tmp_path / "c.pt"
    _raw(p, _valid_dict(version=version))
    assert "supported versions: 1" in _load_error(p)


def test_missing_version(tmp_path):
    p = tmp_path / "c.pt"
    d = _valid_dict()
    del d["version"]
    _raw(p, d)
    assert "no 'version' key" in _load_error(p)


def test_missing_keys(tmp_path):
    p = tmp_path / "c.pt"
    d = _valid_dict()
    del d["env"], d["meta"]
    _raw(p, d)
    assert "missing keys: env, meta" in _load_error(p)


@pytest.mark.parametrize("key,value,expect", [
    ("agent", 3, "'agent' has type int, expected str"),
    ("config", [1], "'config' has type list, expected dict"),
    ("meta", "x", "'meta' has type str, expected dict"),
    ("state_dict", [torch.ones(1)], "'state_dict' has type list, expected dict"),
    ("state_dict", {"w": torch.ones(1), "x": [1.0]}, "state_dict['x'] has type list, expected torch.Tensor"),
    ("state_dict", {3: torch.ones(1)}, "state_dict has a non-str key 3"),
])
def test_wrong_types(tmp_path, key, value, expect):
    p = tmp_path / "c.pt"
    _raw(p, _valid_dict(**{key: value}))
    assert expect in _load_error(p)


def test_truncated_file(tmp_path):
    p = tmp_path / "c.pt"
    _save(p)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    assert "not a PyTorch checkpoint" in _load_error(p)


def test_damaged_pickle_is_corrupt_not_code(tmp_path):
    # Damage inside the archive (central directory intact) must not be reported as "contains code".
    p = tmp_path / "c.pt"
    _save(p)
    data = bytearray(p.read_bytes())
    with zipfile.ZipFile(p) as z:
        info = z.getinfo("archive/data.pkl")
    # A zip local header is 30 bytes, then the name and extra field, whose lengths sit at offsets 26 and 28.
    h = info.header_offset
    start = h + 30 + int.from_bytes(data[h + 26:h + 28], "little") + int.from_bytes(data[h + 28:h + 30], "little")
    assert data[start] == 0x80  # the pickle's PROTO opcode: we are at the start of data.pkl
    data[start + 2] = 0xFF  # not a pickle opcode: the weights_only unpickler rejects it
    p.write_bytes(bytes(data))
    assert "corrupt checkpoint" in _load_error(p)


def test_random_bytes(tmp_path):
    p = tmp_path / "c.pt"
    p.write_bytes(os.urandom(4096))
    assert "not a PyTorch checkpoint" in _load_error(p)


def test_missing_file(tmp_path):
    assert "no such checkpoint file" in _load_error(tmp_path / "nope.pt")


def test_check_state_dict(tmp_path):
    p = tmp_path / "c.pt"
    sd = {"w": torch.ones(4, 3)}
    ck.check_state_dict(sd, {"w": (4, 3)}, p)
    for expected, text in [({"w": (4, 3), "b": (4,)}, "no tensor 'b' (expected shape (4,))"),
                           ({"w": (3, 4)}, "state_dict['w'] has shape (4, 3), expected (3, 4)")]:
        with pytest.raises(UserError) as info:
            ck.check_state_dict(sd, expected, p)
        msg = str(info.value)
        assert text in msg and str(p) in msg and "\n" not in msg


@pytest.mark.parametrize("overrides,names", [
    ({"agent": ""}, "agent"), ({"env": None}, "env"), ({"config": [1]}, "config"),
    ({"config": {"x": (1, 2)}}, "config['x']"), ({"meta": {1: "a"}}, "meta"),
    ({"meta": {"a": [object()]}}, "meta['a'][0]"), ({"state_dict": [torch.ones(1)]}, "state_dict"),
    ({"state_dict": {"w": [1.0]}}, "state_dict['w']"), ({"state_dict": {3: torch.ones(1)}}, "state_dict"),
])
def test_save_validates_arguments(tmp_path, overrides, names):
    with pytest.raises(UserError) as info:
        _save(tmp_path / "c.pt", **overrides)
    assert str(info.value).startswith(names) and "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_save_is_atomic(tmp_path, monkeypatch):
    p = tmp_path / "c.pt"
    _save(p)
    assert [f.name for f in tmp_path.iterdir()] == ["c.pt"]  # no temp file left behind
    before = p.read_bytes()

    with pytest.raises(UserError):  # validation failure: the old file is untouched
        _save(p, state_dict={"w": "not a tensor"}, agent="other")
    assert p.read_bytes() == before

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ck.os, "replace", fail)  # failure after the temp file is written
    with pytest.raises(UserError, match="cannot write checkpoint"):
        _save(p, agent="other")
    assert p.read_bytes() == before
    assert [f.name for f in tmp_path.iterdir()] == ["c.pt"]


def test_sha256_is_stable_across_identical_saves(tmp_path):
    a, b = tmp_path / "a.pt", tmp_path / "sub" / "b.pt"
    b.parent.mkdir()
    _save(a)
    _save(b)
    assert a.read_bytes() == b.read_bytes()
    assert ck.checkpoint_sha256(a) == ck.checkpoint_sha256(b)
    assert len(ck.checkpoint_sha256(a)) == 64
    _save(b, meta={"seed": 8})
    assert ck.checkpoint_sha256(a) != ck.checkpoint_sha256(b)


def test_parameter_count_and_describe(tmp_path):
    p = tmp_path / "c.pt"
    _save(p)
    assert ck.parameter_count(_state()) == 12 + 4 + 1  # integer tensors count too
    info = ck.describe_checkpoint(p)
    assert info == {"agent": "mlp-bc", "env": "pvm/Lift-v0", "config": CONFIG, "meta": META,
                    "parameters": 17, "tensors": 3, "sha256": ck.checkpoint_sha256(p),
                    "size_bytes": p.stat().st_size}
