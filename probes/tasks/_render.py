"""Deterministic sample building: the builder registry used by ``python -m probes.generate`` and the image
helpers the task modules share.

Determinism rules: every builder seeds its own ``random.Random``/``numpy.random.RandomState`` from a constant;
text is drawn with the FreeType font bundled inside Pillow (``ImageFont.load_default(size=...)``, Aileron,
CC0) so no system font is involved; PNGs are written with fixed settings and no metadata chunks.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from probes.catalogue import Sample

# A builder writes the task's images into ``out_dir`` and returns its samples (written as samples.jsonl).
Builder = Callable[[Path], list[Sample]]

BUILDERS: dict[str, Builder] = {}


def builder(task_id: str) -> Callable[[Builder], Builder]:
    def wrap(fn: Builder) -> Builder:
        if task_id in BUILDERS:
            raise ValueError(f"builder for {task_id} registered twice")
        BUILDERS[task_id] = fn
        return fn

    return wrap


def save_png(img: Image.Image, path: Path) -> None:
    """Write a PNG byte-identically on every run: RGB, fixed zlib level, no optimise pass, no metadata."""
    path.parent.mkdir(parents=True, exist_ok=True)
    clean = Image.new("RGB", img.size)
    clean.paste(img.convert("RGB"))  # drops any info/metadata carried by the source image
    clean.save(path, format="PNG", compress_level=9, optimize=False)


@lru_cache(maxsize=16)
def font(size: int) -> ImageFont.FreeTypeFont:
    f = ImageFont.load_default(size=size)
    if not isinstance(f, ImageFont.FreeTypeFont):  # pragma: no cover - Pillow built without FreeType
        raise RuntimeError("Pillow needs FreeType support to render the probe images")
    return f


def renderable(text: str) -> str:
    """Drop characters the bundled Latin font cannot draw (emoji, CJK); collapse the spaces left behind."""
    kept = "".join(ch for ch in text if ord(ch) < 0x250 or 0x2010 <= ord(ch) <= 0x2027)
    return " ".join(kept.split())


def wrap_text(text: str, fnt: ImageFont.FreeTypeFont, max_width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}".strip()
            if fnt.getlength(candidate) <= max_width or not line:
                line = candidate
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines


def text_card(text: str, size: tuple[int, int] = (336, 336), font_size: int = 24, margin: int = 24,
              background: tuple[int, int, int] = (255, 255, 255), ink: tuple[int, int, int] = (0, 0, 0),
              header: str | None = None) -> Image.Image:
    """Text on a plain card, left-aligned and vertically centred; shrinks the font until it fits."""
    img = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(img)
    body = renderable(text)
    for fs in range(font_size, 11, -2):
        fnt = font(fs)
        lines = wrap_text(body, fnt, size[0] - 2 * margin)
        line_h = int(fs * 1.35)
        head_h = int(fs * 1.6) if header else 0
        total = head_h + line_h * len(lines)
        if total <= size[1] - 2 * margin:
            break
    y = (size[1] - total) // 2
    if header:
        draw.text((margin, y), header, font=font(max(fs - 4, 12)), fill=(110, 110, 110))
        y += head_h
    for line in lines:
        draw.text((margin, y), line, font=fnt, fill=ink)
        y += line_h
    return img
