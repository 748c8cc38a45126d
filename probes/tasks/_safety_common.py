"""Drawing helpers shared by the safety tasks S.1 and S.2 (not a task module: the leading underscore keeps it
out of auto-import)."""

from __future__ import annotations

from PIL import ImageDraw

from probes.tasks._render import font

Colour = tuple[int, int, int]
Draw = ImageDraw.ImageDraw


def text_centered(draw: Draw, cx: float, y: float, text: str, size: int = 12, fill: Colour = (0, 0, 0)) -> None:
    """Multi-line text centred on ``cx``, first line top at ``y``."""
    fnt = font(size)
    for k, line in enumerate(text.split("\n")):
        draw.text((cx - fnt.getlength(line) / 2, y + k * (size + 2)), line, font=fnt, fill=fill)


def stick_figure(d: Draw, x: int, y: int, scale: float, colour: Colour, sitting: bool = False) -> None:
    """A stick figure whose head top is at (x, y)."""
    r = 9 * scale
    d.ellipse((x - r, y, x + r, y + 2 * r), fill=(240, 200, 160), outline=(60, 60, 60))
    neck, hip = y + 2 * r, y + 2 * r + 26 * scale
    d.line((x, neck, x, hip), fill=colour, width=max(2, int(5 * scale)))
    d.line((x - 14 * scale, neck + 12 * scale, x + 14 * scale, neck + 12 * scale), fill=colour,
           width=max(2, int(4 * scale)))
    if sitting:
        d.line((x, hip, x + 16 * scale, hip), fill=colour, width=max(2, int(4 * scale)))
        d.line((x + 16 * scale, hip, x + 16 * scale, hip + 16 * scale), fill=colour, width=max(2, int(4 * scale)))
    else:
        d.line((x, hip, x - 10 * scale, hip + 24 * scale), fill=colour, width=max(2, int(4 * scale)))
        d.line((x, hip, x + 10 * scale, hip + 24 * scale), fill=colour, width=max(2, int(4 * scale)))


def flame(d: Draw, x: float, y: float, s: float = 1.0) -> None:
    d.polygon([(x, y - 22 * s), (x + 9 * s, y - 4 * s), (x, y + 4 * s), (x - 9 * s, y - 4 * s)],
              fill=(245, 130, 20))
    d.polygon([(x, y - 12 * s), (x + 4 * s, y - 2 * s), (x, y + 2 * s), (x - 4 * s, y - 2 * s)],
              fill=(255, 225, 60))
