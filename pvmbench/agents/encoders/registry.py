"""The encoder registry: pvmbench's own encoders, third parties' and the `hf:` adapter, all by one name.

A registered encoder is a callable (an `Encoder` subclass works) that builds an Encoder:
``factory(mode, **options) -> Encoder``. Register one with `@register_encoder("name")`, or from a package
through the entry-point group ``pvmbench.encoders``:

    [project.entry-points."pvmbench.encoders"]
    my-encoder = "my_pkg.encoder:MyEncoder"

Spec strings with a prefix go to an adapter: ``hf:<hub id or directory>`` builds any Hugging Face vision
backbone (see hf_auto.py). The built-in names import their model modules only when asked for, so the
cnn needs neither transformers nor the EfficientNet wheels.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Callable

from pvmbench.errors import UserError

ENTRY_POINT_GROUP = "pvmbench.encoders"
_BUILTIN = {  # name -> "module:attribute", imported on first use
    "cnn": "pvmbench.agents.encoders.cnn:CNNEncoder",
    "efficientnet-lite0": "pvmbench.agents.encoders.efficientnet:EfficientNetLite0Encoder",
    "dinov2": "pvmbench.agents.encoders.hf_vit:DINOv2Encoder",
    "clip": "pvmbench.agents.encoders.hf_vit:CLIPEncoder",
}
_ADAPTERS = {"hf": "pvmbench.agents.encoders.hf_auto:HFAutoEncoder"}  # prefix -> adapter taking source=
_REGISTERED: dict[str, Callable] = {}


def register_encoder(name: str) -> Callable[[Callable], Callable]:
    """Decorator: `@register_encoder("my-encoder")` on an Encoder subclass or a factory(mode, **options)."""
    if not isinstance(name, str) or not name or ":" in name:
        raise UserError(f"encoder name {name!r}: accepted: a non-empty name without ':' (prefixes are adapters)")

    def decorate(factory: Callable) -> Callable:
        if not callable(factory):
            raise UserError(f"register_encoder({name!r}): expected a class or a callable, got {factory!r}")
        _REGISTERED[name] = factory
        return factory

    return decorate


def _load(target: str) -> Callable:
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def _entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}


def available_encoders() -> dict[str, str]:
    """name -> where it comes from: 'pvmbench', 'registered', or the distribution of its entry point."""
    out = dict.fromkeys(_BUILTIN, "pvmbench")
    out.update(dict.fromkeys(_REGISTERED, "registered"))
    for name, ep in _entry_points().items():
        out.setdefault(name, ep.dist.name if ep.dist is not None else "entry point")
    return out


def accepted_specs() -> str:
    return ", ".join([*available_encoders(), *(f"{p}:<hub id or directory>" for p in _ADAPTERS)])


def resolve(spec: str) -> tuple[Callable, dict]:
    """(factory, options fixed by the spec): 'hf:DIR' -> (HFAutoEncoder, {'source': 'DIR'})."""
    if not isinstance(spec, str) or not spec:
        raise UserError(f"encoder {spec!r}: accepted: {accepted_specs()}")
    prefix, sep, rest = spec.partition(":")
    if sep and prefix in _ADAPTERS:
        if not rest:
            raise UserError(f"encoder {spec!r}: give the model after the prefix, e.g. {prefix}:/path/to/model_dir")
        return _load(_ADAPTERS[prefix]), {"source": rest}
    if spec in _REGISTERED:
        return _REGISTERED[spec], {}
    if spec in _BUILTIN:
        return _load(_BUILTIN[spec]), {}
    entry = _entry_points().get(spec)
    if entry is not None:
        try:
            factory = entry.load()
        except Exception as exc:  # a third party's import error, reported in one line with its origin
            raise UserError(f"encoder {spec!r} (entry point {entry.value}) failed to import: "
                            f"{type(exc).__name__}: {exc}") from None
        _REGISTERED[spec] = factory
        return factory, {}
    raise UserError(f"encoder {spec!r}: accepted: {accepted_specs()}")
