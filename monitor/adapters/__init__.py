"""Endpoint adapters, registered by ``kind``. Modules are imported lazily, only for kinds in use."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from monitor.adapters.base import Adapter, AdapterError, ErrorKind, ModelIdentity, ProbeRequest, Reply

if TYPE_CHECKING:
    from monitor.config import EndpointConfig

__all__ = [
    "Adapter",
    "AdapterError",
    "ErrorKind",
    "ModelIdentity",
    "ProbeRequest",
    "Reply",
    "create_adapter",
    "register_adapter",
]

AdapterFactory = Callable[["EndpointConfig"], Adapter]

# kind -> module that registers it (imported on first use, so SDKs load only when needed)
_MODULES: dict[str, str] = {
    "triton": "monitor.adapters.triton",
    "openai": "monitor.adapters.openai",
    "anthropic": "monitor.adapters.anthropic",
    "gemini": "monitor.adapters.gemini",
    "hf-local": "monitor.adapters.hf_local",
}
_FACTORIES: dict[str, AdapterFactory] = {}


def register_adapter(kind: str) -> Callable[[Any], Any]:
    def wrap(factory: Any) -> Any:
        _FACTORIES[kind] = factory
        return factory

    return wrap


def create_adapter(config: EndpointConfig) -> Adapter:
    kind = config.kind
    if kind not in _FACTORIES:
        module = _MODULES.get(kind)
        if module is None:
            raise ValueError(f"endpoint {config.name!r}: unknown adapter kind {kind!r}")
        importlib.import_module(module)
    return _FACTORIES[kind](config)
