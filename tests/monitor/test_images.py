"""Prepared suite images: the shipped bytes kept once, sent as they are when they may be, pixels on demand."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
from PIL import Image

from monitor import images
from probes.catalogue import DATA_DIR


def _png(path: Path, mode: str = "RGB", size: tuple[int, int] = (40, 20)) -> Path:
    Image.new(mode, size, color=(10, 200, 30) if mode == "RGB" else 7).save(path, format="PNG")
    return path


def test_a_shipped_png_is_read_once_and_sent_as_its_own_bytes() -> None:
    path = next((DATA_DIR / "unrelated" / "color").glob("*.png"))
    images.clear()
    assert images.cached(path) is None
    image = images.load(path)
    assert images.cached(path) is image and images.load(path) is image
    assert image.passthrough and image.fits(None) and image.data == path.read_bytes()
    with Image.open(path) as img:
        expected = np.asarray(img.convert("RGB"))
    assert np.array_equal(np.asarray(image), expected) and image.shape == expected.shape
    assert not image.fits(min(image.width, image.height) - 1)  # must be downscaled: not as is


def test_only_8_bit_rgb_png_is_passed_through(tmp_path: Path) -> None:
    images.clear()
    assert images.load(_png(tmp_path / "rgb.png")).passthrough
    grey = images.load(_png(tmp_path / "grey.png", mode="L"))
    assert not grey.passthrough and np.asarray(grey).shape == (20, 40, 3)  # converted for tensors
    jpeg = tmp_path / "photo.jpg"
    Image.new("RGB", (8, 8)).save(jpeg, format="JPEG")
    assert not images.load(jpeg).passthrough


def test_pixel_cache_is_bounded(tmp_path: Path) -> None:
    images.clear()
    paths = [_png(tmp_path / f"{i}.png", size=(64, 64)) for i in range(5)]
    budget = images._PIXELS.lru.budget
    images._PIXELS.lru.budget = 2 * 64 * 64 * 3
    try:
        for p in paths:
            np.asarray(images.load(p))
        assert len(images._PIXELS.lru) == 2 and images._PIXELS.lru.weight <= images._PIXELS.lru.budget
    finally:
        images._PIXELS.lru.budget = budget
        images.clear()


def test_encodings_are_made_once() -> None:
    path = next((DATA_DIR / "unrelated" / "noise").glob("*.png"))
    image = images.load(path)
    assert image.png_base64() is image.png_base64()
    assert image.data_url_json() is image.data_url_json()
    decoded = Image.open(io.BytesIO(base64.b64decode(image.png_base64())))
    assert decoded.size == (image.width, image.height)


def test_the_json_data_url_is_kept_without_a_second_copy_of_the_base64(tmp_path: Path) -> None:
    import json

    path = tmp_path / "a.png"
    Image.new("RGB", (9, 7), (10, 200, 30)).save(path)
    image = images.SuiteImage(path, path.read_bytes())
    text = image.data_url_json()
    assert json.loads(text) == "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()
    assert text == json.dumps(json.loads(text))  # a valid JSON string literal, as json.dumps writes it
    assert image._b64 is None  # only the form the OpenAI body needs is kept
