"""docs/CONFIGURATION.md documents every config field (a new field without docs fails here)."""

from __future__ import annotations

import re
import typing
from pathlib import Path

from pydantic import BaseModel

from monitor.config import Config, OpenAIEndpoint, TritonEndpoint

DOC = (Path(__file__).parent.parent.parent / "docs" / "CONFIGURATION.md").read_text()


def _models(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models(arg)]


def _fields(model: type[BaseModel], prefix: str = "") -> list[str]:
    out = []
    for name, info in model.model_fields.items():
        subs = [m for m in _models(info.annotation) if m.__name__ != "SecretRef"]
        if not subs:  # a leaf (sections are covered through their fields)
            out.append(prefix + name)
        for sub in subs:
            out.extend(_fields(sub, f"{prefix}{name}."))
    return out


def test_every_field_is_documented() -> None:
    names = set(_fields(Config))
    for kind in (TritonEndpoint, OpenAIEndpoint):
        names |= set(_fields(kind, "endpoints."))
    documented = set(re.findall(r"`([a-z_.]+)`", DOC))
    missing = []
    for dotted in sorted(names):
        leaf = dotted.split(".")[-1]
        tail2 = ".".join(dotted.split(".")[-2:])
        if not ({dotted, leaf, tail2} & documented):
            missing.append(dotted)
    assert not missing, f"undocumented config fields: {missing}"
