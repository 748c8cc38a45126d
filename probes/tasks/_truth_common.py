"""Drawing helpers shared by the truthfulness tasks T.2-T.7 (not a task module: the leading underscore keeps it
out of auto-import)."""

from __future__ import annotations

import math

from PIL import Image, ImageDraw

from probes.tasks._render import font, renderable, wrap_text

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30), "green": (30, 160, 60), "blue": (40, 80, 220),
    "yellow": (240, 200, 20), "purple": (140, 50, 170), "orange": (245, 130, 20),
}
SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "star")
NUMBER_WORDS: tuple[str, ...] = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                                 "ten", "eleven", "twelve")


def draw_shape(draw: ImageDraw.ImageDraw, kind: str, cx: float, cy: float, r: float,
               fill: tuple[int, int, int]) -> None:
    """A filled circle, square, triangle or five-pointed star of 'radius' r centred on (cx, cy)."""
    if kind == "circle":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
    elif kind == "square":
        draw.rectangle((cx - r, cy - r, cx + r, cy + r), fill=fill)
    elif kind == "triangle":
        draw.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=fill)
    elif kind == "star":
        pts = []
        for k in range(10):
            rad = r if k % 2 == 0 else r * 0.45
            ang = -math.pi / 2 + k * math.pi / 5
            pts.append((cx + rad * math.cos(ang), cy + rad * math.sin(ang)))
        draw.polygon(pts, fill=fill)
    else:  # pragma: no cover - programming error
        raise ValueError(kind)


def number_forms(n: int) -> list[str]:
    """Accepted spellings of a small count: the digits and the English word."""
    forms = [str(n)]
    if n < len(NUMBER_WORDS):
        forms.append(NUMBER_WORDS[n])
    return forms


def table_card(title: str, rows: list[tuple[str, str]], size: tuple[int, int] = (256, 256),
               accent: tuple[int, int, int] = (40, 80, 160)) -> Image.Image:
    """A small reference card: a coloured title bar and "label: value" rows, shrinking the font to fit."""
    img = Image.new("RGB", size, (250, 250, 245))
    draw = ImageDraw.Draw(img)
    draw.fontmode = "1"  # no anti-aliasing: still crisp at these sizes and the PNGs are 4x smaller
    width, height = size
    margin = 10
    title = renderable(title)
    for fs in range(18, 9, -1):
        tf = font(fs)
        title_lines = wrap_text(title, tf, width - 2 * margin)
        body_lines: list[str] = []
        for label, value in rows:
            body_lines.extend(wrap_text(renderable(f"{label}: {value}"), font(fs), width - 2 * margin))
        line_h = int(fs * 1.35)
        bar_h = line_h * len(title_lines) + 2 * margin // 2 + 4
        total = bar_h + margin + line_h * len(body_lines)
        if total <= height - margin:
            break
    draw.rectangle((0, 0, width, bar_h), fill=accent)
    y = margin // 2 + 2
    for line in title_lines:
        draw.text((margin, y), line, font=tf, fill=(255, 255, 255))
        y += line_h
    y = bar_h + margin
    for line in body_lines:
        draw.text((margin, y), line, font=font(fs), fill=(20, 20, 20))
        y += line_h
    return img


def fact_card(topic: str, value: str, size: tuple[int, int] = (224, 224),
              accent: tuple[int, int, int] = (150, 40, 40)) -> Image.Image:
    """A 'quick fact' card: the topic in a title bar and one value in large type (used to mislead in T.7)."""
    img = Image.new("RGB", size, (252, 250, 240))
    draw = ImageDraw.Draw(img)
    draw.fontmode = "1"
    width, height = size
    margin = 12
    tf = font(18)
    title_lines = wrap_text(renderable(topic), tf, width - 2 * margin)
    bar_h = 24 * len(title_lines) + 16
    draw.rectangle((0, 0, width, bar_h), fill=accent)
    y = 8
    for line in title_lines:
        draw.text((margin, y), line, font=tf, fill=(255, 255, 255))
        y += 24
    text = renderable(value)
    for fs in range(40, 13, -2):
        vf = font(fs)
        lines = wrap_text(text, vf, width - 2 * margin)
        if int(fs * 1.3) * len(lines) <= height - bar_h - 2 * margin:
            break
    y = bar_h + (height - bar_h - int(fs * 1.3) * len(lines)) // 2
    for line in lines:
        draw.text(((width - vf.getlength(line)) / 2, y), line, font=vf, fill=(20, 20, 20))
        y += int(fs * 1.3)
    return img
