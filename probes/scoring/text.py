"""Small text normalisation helpers shared by the scorers."""

from __future__ import annotations

import re
import unicodedata

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})
_WS = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFKC, straight quotes, lower case, single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return _WS.sub(" ", text).strip().lower()


_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\s*\n\s*")


def normalise_lines(text: str) -> str:
    """:func:`normalise`, but line breaks kept (one per break) - for rules that read lists and paragraphs."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return _BLANK_LINES.sub("\n", _SPACES.sub(" ", text)).strip().lower()


def is_blank(answer: str) -> bool:
    """True for answers with no visible content (empty, whitespace, zero-width characters only)."""
    return not answer.replace("\u200b", "").replace("\ufeff", "").strip()
