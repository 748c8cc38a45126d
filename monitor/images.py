"""The suite's images, prepared once per process and shared by every run and endpoint.

A :class:`SuiteImage` holds a shipped image file's bytes, read once. Adapters that send PNG (the HTTP vendor
APIs, Triton's vLLM and generate presets) send those bytes as they are when the file is an RGB PNG that needs no
downscaling: re-encoding gives the same pixels, costs milliseconds and is no smaller. The base64 text and its
JSON string are made on first use and kept with the image. Pixels (for tensors and local models) are decoded on
demand through ``numpy.asarray(image)``, with a byte-bounded cache of their own: the built-in suite's 1,112
images hold 167 MiB of pixels, more than the monitor should keep for a path that needs them once a run.

Both caches are bounded: :data:`MAX_IMAGES` prepared files (the suite needs 1,112) and :data:`MAX_PIXEL_BYTES`
of decoded arrays. A :class:`SuiteImage` is what :class:`~monitor.adapters.ProbeRequest` carries as ``image``;
anything ``numpy.asarray`` turns into an (H, W, 3) uint8 array works there too.
"""

from __future__ import annotations

import base64
import io
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

MAX_IMAGES = 4096  # prepared files kept (bytes + encodings: about 12 KB each for the built-in suite)
MAX_PIXEL_BYTES = 64 * 2**20  # decoded arrays kept
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class SuiteImage:
    """One image file: its bytes, its size, and (made on first use) its encodings and pixels."""

    __slots__ = ("_b64", "_json_url", "data", "height", "passthrough", "path", "width")

    def __init__(self, path: Path, data: bytes) -> None:
        from PIL import Image

        self.path = path
        self.data = data
        with Image.open(io.BytesIO(data)) as img:  # reads the header only
            self.width, self.height = img.size
            # sent as is only when it is what re-encoding would produce: an 8-bit RGB PNG (IHDR bit depth)
            self.passthrough = data.startswith(PNG_MAGIC) and len(data) > 24 and data[24] == 8 and img.mode == "RGB"
        self._b64: str | None = None
        self._json_url: str | None = None

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.height, self.width, 3)

    def fits(self, max_side: int | None) -> bool:
        """Whether the file's own bytes can be sent under a longest-side limit."""
        return self.passthrough and (max_side is None or max(self.width, self.height) <= max_side)

    def png_base64(self) -> str:
        """Base64 of the file's PNG bytes (only for :meth:`fits` images)."""
        if self._b64 is None:
            self._b64 = base64.b64encode(self.data).decode("ascii")
        return self._b64

    def data_url_json(self) -> str:
        """The PNG data URL as a JSON string literal, ready to splice into a request body."""
        if self._json_url is None:  # base64 needs no JSON escaping; it is kept only if png_base64 was asked for
            b64 = self._b64 or base64.b64encode(self.data).decode("ascii")
            self._json_url = f'"data:image/png;base64,{b64}"'
        return self._json_url

    def pixels(self) -> Any:
        """RGB uint8 array (H, W, 3), read-only; decoded on demand, kept within :data:`MAX_PIXEL_BYTES`."""
        return _PIXELS.get(self)

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        import numpy as np

        array = self.pixels()
        return array if dtype is None else np.asarray(array, dtype=dtype)

    def __repr__(self) -> str:
        return f"SuiteImage({self.path.name}, {self.width}x{self.height})"


class _LRU:
    """A thread-safe LRU bounded by a total weight."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.weight = 0
        self._items: OrderedDict[Path, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Path) -> Any | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return None
            self._items.move_to_end(key)
            return hit[0]

    def put(self, key: Path, value: Any, weight: int) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.weight -= old[1]
            self._items[key] = (value, weight)
            self.weight += weight
            while self.weight > self.budget and len(self._items) > 1:
                _, (_, w) = self._items.popitem(last=False)
                self.weight -= w

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.weight = 0


class _PixelCache:
    def __init__(self, budget: int) -> None:
        self.lru = _LRU(budget)

    def get(self, image: SuiteImage) -> Any:
        array = self.lru.get(image.path)
        if array is None:
            import numpy as np
            from PIL import Image

            with Image.open(io.BytesIO(image.data)) as img:
                array = np.asarray(img.convert("RGB"), dtype=np.uint8)
            array.setflags(write=False)
            self.lru.put(image.path, array, int(array.nbytes))
        return array


_PREPARED = _LRU(MAX_IMAGES)
_PIXELS = _PixelCache(MAX_PIXEL_BYTES)


def cached(path: Path) -> SuiteImage | None:
    """The prepared image of ``path`` if it is in the cache (cheap: call it on the event loop)."""
    image: SuiteImage | None = _PREPARED.get(path)
    return image


def load(path: Path) -> SuiteImage:
    """The prepared image of ``path``, reading the file on a miss (blocking: call it off the event loop)."""
    image = cached(path)
    if image is None:
        image = SuiteImage(path, path.read_bytes())
        _PREPARED.put(path, image, 1)
    return image


def clear() -> None:
    """Forget every prepared image and decoded array (tests; a changed suite on disk)."""
    _PREPARED.clear()
    _PIXELS.lru.clear()
