"""Shared drawing helpers for the fairness tasks (F.1, F.3-F.7): compact text cards, two-option cards and
procedurally drawn person avatars.

Text is drawn without anti-aliasing (two colours per card), which keeps the PNGs a few kilobytes each; all
images are at most 256 px per side. Everything is deterministic: no randomness here, callers pass attributes.
"""

from __future__ import annotations

from PIL import Image, ImageDraw

from probes.tasks._render import font, renderable, wrap_text

INK = (20, 20, 20)
PAPER = (255, 255, 255)


def _draw_block(draw: ImageDraw.ImageDraw, text: str, box: tuple[int, int, int, int], font_size: int,
                ink: tuple[int, int, int] = INK, centre: bool = False) -> None:
    """Wrap ``text`` into ``box`` (x0, y0, x1, y1), shrinking the font until it fits; vertically centred."""
    x0, y0, x1, y1 = box
    body = renderable(text)
    lines: list[str] = []
    fs = font_size
    for fs in range(font_size, 9, -1):
        lines = wrap_text(body, font(fs), x1 - x0)
        fits_width = all(font(fs).getlength(line) <= x1 - x0 for line in lines)  # a long word is not split
        if int(fs * 1.3) * len(lines) <= y1 - y0 and fits_width:
            break
    fnt = font(fs)
    line_h = int(fs * 1.3)
    y = y0 + max(0, (y1 - y0 - line_h * len(lines)) // 2)
    for line in lines:
        x = x0 + (x1 - x0 - int(fnt.getlength(line))) // 2 if centre else x0
        draw.text((x, y), line, font=fnt, fill=ink)
        y += line_h


def _canvas(size: tuple[int, int], background: tuple[int, int, int] = PAPER) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    img = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(img)
    draw.fontmode = "1"  # no anti-aliasing: two colours, tiny PNGs
    return img, draw


def card(text: str, size: tuple[int, int] = (224, 224), font_size: int = 20, margin: int = 14) -> Image.Image:
    """A plain black-on-white text card."""
    img, draw = _canvas(size)
    _draw_block(draw, text, (margin, margin, size[0] - margin, size[1] - margin), font_size)
    return img


def pair_card(left: str, right: str, size: tuple[int, int] = (256, 144)) -> Image.Image:
    """Two labelled option cards side by side ("A" left, "B" right), separated by a vertical rule."""
    img, draw = _canvas(size)
    w, h = size
    half = w // 2
    for i, (tag, label) in enumerate((("A", left), ("B", right))):
        x0 = i * half
        draw.rectangle((x0 + 6, 6, x0 + half - 7, h - 7), outline=INK, width=2)
        draw.text((x0 + 12, 10), tag, font=font(14), fill=INK)
        _draw_block(draw, label, (x0 + 14, 30, x0 + half - 14, h - 14), 18, centre=True)
    draw.line((half, 0, half, h), fill=INK, width=1)
    return img


# --- avatars ------------------------------------------------------------------------------------------------

# Skin tones: four points spread from light to dark (our own palette, loosely after the Monk scale's range).
SKIN_TONES: dict[str, tuple[int, int, int]] = {
    "tone1": (246, 222, 200),
    "tone2": (222, 178, 136),
    "tone3": (160, 110, 72),
    "tone4": (92, 60, 40),
}
HAIR = {"young": (58, 40, 28), "older": (196, 196, 200)}
SHIRT = (70, 100, 140)
BACKGROUND = (232, 236, 240)


def avatar(gender: str, age: str, skin: str, size: int = 128) -> Image.Image:
    """A flat, front-facing bust. Gender presentation: ``feminine`` = long hair falling to the shoulders,
    ``masculine`` = short cropped hair (clothing is identical). Age: ``young`` = dark hair, ``older`` = grey
    hair and forehead lines. ``skin`` is a key of :data:`SKIN_TONES`."""
    if gender not in ("feminine", "masculine") or age not in HAIR or skin not in SKIN_TONES:
        raise ValueError(f"unknown avatar attributes {gender!r}, {age!r}, {skin!r}")
    img = Image.new("RGB", (size, size), BACKGROUND)
    d = ImageDraw.Draw(img)
    s = size / 128
    tone, hair = SKIN_TONES[skin], HAIR[age]

    def box(x0: float, y0: float, x1: float, y1: float) -> tuple[int, int, int, int]:
        return (round(x0 * s), round(y0 * s), round(x1 * s), round(y1 * s))

    if gender == "feminine":  # long hair behind the head and shoulders
        d.rounded_rectangle(box(34, 24, 94, 104), radius=round(24 * s), fill=hair)
    d.rounded_rectangle(box(22, 96, 106, 140), radius=round(18 * s), fill=SHIRT)  # shoulders
    d.rectangle(box(56, 78, 72, 100), fill=tone)  # neck
    d.ellipse(box(40, 28, 88, 84), fill=tone)  # head
    if gender == "feminine":
        d.chord(box(38, 22, 90, 62), 180, 360, fill=hair)  # fringe
    else:
        d.chord(box(39, 24, 89, 58), 180, 360, fill=hair)  # short crop
    d.ellipse(box(52, 50, 58, 56), fill=INK)  # eyes
    d.ellipse(box(70, 50, 76, 56), fill=INK)
    d.arc(box(54, 58, 74, 72), 20, 160, fill=INK, width=max(1, round(2 * s)))  # smile
    if age == "older":  # forehead lines
        for y in (44, 47):
            d.line(box(54, y, 74, y), fill=(max(tone[0] - 60, 0), max(tone[1] - 60, 0), max(tone[2] - 60, 0)),
                   width=1)
    return img


def captioned_avatar(caption: str, gender: str, age: str, skin: str, size: tuple[int, int] = (224, 224)) -> Image.Image:
    """A meme-style scene: an avatar at the top, the caption written underneath."""
    img, draw = _canvas(size)
    pic = avatar(gender, age, skin, size=104)
    img.paste(pic, ((size[0] - 104) // 2, 8))
    _draw_block(draw, caption, (12, 118, size[0] - 12, size[1] - 8), 16, centre=True)
    return img
