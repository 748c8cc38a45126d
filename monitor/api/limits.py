"""Bounds on what a gRPC request may hold, and on what an error detail may echo back of it.

Every string field of a request is a name or an id (endpoint names are at most 64 characters, run ids 32, task
ids a few), so a generous cap of :data:`MAX_TEXT` characters keeps out nothing real; a repeated field (the task
list) holds at most :data:`MAX_ITEMS` entries. A request over a bound gets INVALID_ARGUMENT naming the field and
the bound before any handler reads it. Whatever an error detail quotes of the request is clipped to
:data:`ECHO_CHARS` characters, and a whole detail to :data:`MAX_DETAIL`: a detail travels in a response header
(``grpc-message``), and an oversized one would turn the intended status into RESOURCE_EXHAUSTED.
"""

from __future__ import annotations

import math
from typing import Any

from google.protobuf.descriptor import FieldDescriptor

MAX_TEXT = 128
MAX_ITEMS = 256
ECHO_CHARS = 100
MAX_DETAIL = 1000
MAX_REQUEST_BYTES = 1 << 20  # grpc.max_receive_message_length: no request comes near it


def clip(text: str, limit: int = ECHO_CHARS) -> str:
    """``text`` cut to ``limit`` characters, with "…" where something was cut."""
    return text if len(text) <= limit else text[:limit] + "…"


def quote(value: str) -> str:
    """A value taken from a request, for an error detail: quoted, control characters escaped, clipped."""
    return repr(clip(value))


def problem(message: Any) -> str | None:
    """What is out of bounds in a request message, in words naming the field; None when nothing is."""
    for field in message.DESCRIPTOR.fields:
        value = getattr(message, field.name)
        repeated = field.label == FieldDescriptor.LABEL_REPEATED
        values = list(value) if repeated else [value]
        if repeated and len(values) > MAX_ITEMS:
            return f"{field.name}: at most {MAX_ITEMS} entries (got {len(values)})"
        for i, item in enumerate(values):
            where = f"{field.name}[{i}]" if repeated else field.name
            if field.type == FieldDescriptor.TYPE_STRING and len(item) > MAX_TEXT:
                return f"{where}: at most {MAX_TEXT} characters (got {len(item)})"
            if field.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT) and not math.isfinite(item):
                return f"{where}: must be a finite number (got {item})"
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                inner = problem(item)
                if inner is not None:
                    return f"{where}.{inner}"
    return None
