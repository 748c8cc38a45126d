"""The fallback chain of an adapter's ``identity()``: the model's own route, then the list of models.

Many servers speaking a vendor's API lack the route describing one model (OpenAI-compatible servers and gateways
without ``GET /models/{model}``, Messages-only servers, a Triton behind a proxy that forwards inference only).
:func:`described` tries each route in order and moves on only when a route is *missing* (a client error: 404,
405, 400; a reply that is not the JSON expected; a key that may not read it; HTTP 501), never when the endpoint
is unreachable or failing (timeouts, connection errors, 5xx, 429 are raised at once: the next route would fail
the same way).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from monitor.adapters.base import AdapterError, ErrorKind, ModelIdentity

__all__ = ["described", "listed", "route_missing"]

Route = tuple[str, Callable[[], Awaitable[ModelIdentity]]]
# One page of a model list: (its entries, or None when the reply holds no list; the cursor of the next page or "")
Page = tuple[list[Any] | None, str]

LIST_PAGES = 5  # pages of a model list read at most (vendors list up to 1000 models a page)


def route_missing(exc: AdapterError) -> bool:
    """Whether an identity route failed because this server does not offer it (to this key), not because the
    endpoint is down."""
    return exc.kind in (ErrorKind.CLIENT, ErrorKind.MALFORMED, ErrorKind.AUTH) or getattr(exc, "status", None) == 501


async def described(where: str, routes: Sequence[Route]) -> ModelIdentity:
    """The identity from the first route that answers, with ``source`` set to that route's name; raises the
    first unreachable-endpoint error at once, or (all routes missing) a non-retryable error naming each."""
    missing: list[str] = []
    kind: ErrorKind | None = None
    for source, read in routes:
        try:
            identity = await read()
        except AdapterError as exc:
            if not route_missing(exc):
                raise
            if kind is None:  # the first route's answer says most (an unknown model's NOT_FOUND, say)
                kind = exc.kind if exc.kind in (ErrorKind.CLIENT, ErrorKind.AUTH) else ErrorKind.CLIENT
            missing.append(f"{source} route: {exc.message.removeprefix(where + ': ')}")
            continue
        return dataclasses.replace(identity, source=source)
    raise AdapterError(kind or ErrorKind.CLIENT, f"{where}: no route describes the model ({'; '.join(missing)})")


async def listed(where: str, page: Callable[[str], Awaitable[Page]], wanted: Callable[[dict[str, Any]], bool],
                 ) -> dict[str, Any]:
    """The entry of a paged model list that ``wanted`` picks: ``page(cursor)`` reads one page ("" for the first).
    A reply without a list is malformed; a model not listed in :data:`LIST_PAGES` pages is a client error."""
    cursor, seen = "", 0
    for _ in range(LIST_PAGES):
        entries, cursor = await page(cursor)
        if entries is None:
            raise AdapterError(ErrorKind.MALFORMED, f"{where}: the model list holds no list of models")
        seen += len(entries)
        for entry in entries:
            if isinstance(entry, dict) and wanted(entry):
                return entry
        if not cursor:
            break
    raise AdapterError(ErrorKind.CLIENT, f"{where}: the model is not in the model list ({seen} listed)")
