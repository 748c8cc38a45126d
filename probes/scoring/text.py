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


def is_blank(answer: str) -> bool:
    """True for answers with no visible content (empty, whitespace, zero-width characters only)."""
    return not answer.replace("\u200b", "").replace("\ufeff", "").strip()
