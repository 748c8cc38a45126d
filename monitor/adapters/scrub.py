"""One scrubber for every error message an adapter stores or logs: nothing that looks like a key gets through.

An endpoint's error body may echo the credential it was sent, and not always as sent: upper-cased, masked
(``sk-...abcd``, ``sk-proj-****wxyz``), behind ``Bearer``, in a query string. :func:`scrub` removes

* every configured secret (API key, header values), in any letter case, and URL-encoded;
* masked forms of a configured secret: a run of mask characters (``...``, ``…``, ``***``, ``xxx``, ``•••``)
  next to the secret's first or last four characters;
* tokens that look like a key whatever they belong to: a known key prefix followed by a long run (``sk-``,
  ``sk-ant-``, ``sk-proj-``, ``AIza``, ``hf_``, ``ghp_``, ``github_pat_``, ``xox?-``, ``AKIA``), the credential
  after ``Bearer``/``Basic``, the value of ``key=``/``api_key=``/``token=`` parameters and of ``x-api-key:``-like
  labels, a hex/base64 run of 24 or more characters holding both letters and digits, and a 32+ character run mixing
  upper case, lower case and digits;
* optionally other strings to keep out of messages exactly as given (the prompt);

then collapses whitespace and cuts the text to a loggable length. It is made for error messages: ordinary words,
model names such as ``claude-3-5-sonnet-20241022``, request ids (UUIDs), paths and the numbers of an answer are
kept (tests/monitor/adapters/test_scrub.py holds the table of forms).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from urllib.parse import quote

__all__ = ["REDACTED", "looks_like_key", "scrub"]

REDACTED = "<redacted>"
MAX_DETAIL = 300

_MASK = r"(?:\.{2,}|…+|\*{2,}|x{3,}|X{3,}|•{2,}|#{3,})"
_KEYCHAR = r"[A-Za-z0-9_\-]"
_MASKED_TOKEN = rf"(?:{_KEYCHAR}|{_MASK})"

# key prefix + a long run (or a masked one); the look-behind keeps "task-", "risk-" and the like
_PREFIXED = re.compile(
    rf"(?<![A-Za-z0-9])(?:sk-|sk_|pk_|rk_|AIza|hf_|ghp_|gho_|ghs_|github_pat_|glpat-|xox[abprs]-|AKIA|ASIA)"
    rf"{_MASKED_TOKEN}{{6,}}"
)
_SCHEME = re.compile(r"(?i)\b(bearer|basic)(\s+)([A-Za-z0-9\-._~+/*…•]{8,}=*)")
_PARAM = re.compile(r"(?i)([?&;](?:key|api[_-]?key|access[_-]?token|token|auth|sig|signature)=)[^&\s\"'<>]+")
_LABELLED = re.compile(
    r"(?i)\b((?:x-)?(?:goog-)?api[-_ ]?key|authorization|x-auth-token|secret|password|access[_-]?token)"
    r"([\"']?\s*[:=]\s*[\"']?)((?:bearer\s+)?[^\s\"',;}<>]{8,})"
)
_RUN = re.compile(r"[A-Za-z0-9+/=_\-.]{24,}")
_SEGMENT = re.compile(r"[-_./]")


def looks_like_key(token: str) -> bool:
    """A hex/base64 run of 24+ characters with letters and digits, or a 32+ character run mixing upper case,
    lower case and digits that is no path, no dotted name and no dash-separated identifier."""
    for segment in _SEGMENT.split(token):
        if len(segment.rstrip("=")) >= 24 and _has_digit(segment) and _has_letter(segment):
            return True
    if len(token) >= 32 and not token.startswith("/") and "." not in token and "-" not in token:
        return _has_digit(token) and any(c.isupper() for c in token) and any(c.islower() for c in token)
    return False


def _has_digit(text: str) -> bool:
    return any(c.isdigit() for c in text)


def _has_letter(text: str) -> bool:
    return any(c.isalpha() for c in text)


def _scheme(match: re.Match[str]) -> str:
    """``Bearer <anything long>``; ``Basic`` only before base64 (so "Basic authentication" stays)."""
    value = match.group(3)
    if match.group(1).lower() == "basic" and not (
        _has_digit(value) or "=" in value or any(c.isupper() for c in value[1:])
    ):
        return match.group(0)
    return f"{match.group(1)}{match.group(2)}{REDACTED}"


def _run(match: re.Match[str]) -> str:
    return REDACTED if looks_like_key(match.group(0)) else match.group(0)


@functools.lru_cache(maxsize=64)
def _secret_patterns(secrets: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """Patterns for the configured secrets: whole value in any case (and URL-encoded), masked forms."""
    out: list[re.Pattern[str]] = []
    for secret in sorted(set(secrets), key=len, reverse=True):
        forms = {secret, quote(secret, safe="")}
        out.append(re.compile("|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)),
                              re.IGNORECASE if len(secret) >= 8 else 0))
        if len(secret) >= 12:  # masked forms show at most 4 characters of each end
            head, tail = re.escape(secret[:4]), re.escape(secret[-4:])
            out.append(re.compile(
                rf"(?i)(?<![A-Za-z0-9]){_MASKED_TOKEN}*{_MASK}{_MASKED_TOKEN}*?{tail}(?![A-Za-z0-9])"
                rf"|(?<![A-Za-z0-9]){head}{_MASKED_TOKEN}*?{_MASK}{_MASKED_TOKEN}*"
            ))
    return tuple(out)


def scrub(text: str, secrets: Iterable[str] = (), *, plain: Iterable[str] = (), limit: int | None = MAX_DETAIL) -> str:
    """``text`` without secrets, masked secrets, key-like tokens or the ``plain`` strings; whitespace collapsed
    and cut to ``limit`` characters (None: no cut)."""
    for value in sorted((p for p in plain if p), key=len, reverse=True):
        text = text.replace(value, REDACTED)
    for pattern in _secret_patterns(tuple(s for s in secrets if s)):
        text = pattern.sub(REDACTED, text)
    text = _LABELLED.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = _SCHEME.sub(_scheme, text)
    text = _PARAM.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    text = _PREFIXED.sub(REDACTED, text)
    text = _RUN.sub(_run, text)
    text = " ".join(text.split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 3] + "..."
    return text
