"""The one scrubber of error messages (monitor.adapters.scrub): a table of key forms that must go, and of ordinary
text that must stay; properties over generated keys and answers."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.adapters import AdapterError, ErrorKind, ProbeRequest
from monitor.adapters.scrub import REDACTED, scrub

SECRET = "sk-proj-Zq81vXl0PaaK3mW7tR2s9YbN"
SENTINEL = "test-key-not-secret"  # the integration tests' key: no digits, nothing key-like but the value itself

# (message, what must not survive)
GONE = [
    (f"Incorrect API key provided: {SECRET}.", SECRET),
    (f"Incorrect API key provided: {SECRET.upper()}.", SECRET.upper()),
    (f"key {SECRET.lower()} was revoked", SECRET.lower()),
    ("Incorrect API key provided: sk-proj-********************YbN9. See docs", "YbN9"),
    (f"Incorrect API key provided: sk-...{SECRET[-4:]}", SECRET[-4:]),
    (f"key {SECRET[:4]}...{SECRET[-4:]} rejected", SECRET[-4:]),
    (f"key ****{SECRET[-4:]} rejected", SECRET[-4:]),
    (f"key {SECRET[:4]}xxxxxxxx rejected", "xxxxxxxx"),
    (f"key …{SECRET[-4:]} rejected", SECRET[-4:]),
    (f"invalid key {SENTINEL.upper()} (rejected)", SENTINEL.upper()),
    (f"invalid key {SENTINEL[:4]}...{SENTINEL[-4:]}", SENTINEL[-4:]),
    ("url https://api.example/v1?key=abc123secretvalue&alt=json", "abc123secretvalue"),
    ("sent Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "eyJhbGciOiJIUzI1NiJ9"),
    ("header x-api-key: my-gateway-token-value missing scope", "my-gateway-token-value"),
    ("other key sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx-12345 invalid", "AbCdEfGhIjKlMnOpQrStUvWx"),
    ("google key AIzaSyD4f9g8h7j6k5l4z3x2c1v0b9n8m7q6w5e invalid", "AIzaSyD4f9g8h7j6k5l4z3x2c1v0b9n8m7q6w5e"),
    ("hf token hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345 not valid", "hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345"),
    ("aws AKIAIOSFODNN7EXAMPLE denied", "AKIAIOSFODNN7EXAMPLE"),
    ("hex token 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 leaked", "9f86d081884c7d65"),
    ("secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY in body", "wJalrXUtnFEMI"),
    ("Basic dXNlcjpwYXNzd29yZDEyMw== rejected", "dXNlcjpwYXNzd29yZDEyMw=="),
]

# text that must come through unchanged
KEPT = [
    "42",
    "17 plus 25 is 42. The sky is blue.",
    "The model 'claude-3-5-sonnet-20241022' does not exist",
    "models/gemini-2.5-flash-preview-05-20 is not found for API version v1beta",
    "request 123e4567-e89b-12d3-a456-426614174000 failed",
    "POST /v1/chat/completions: 404 Not Found",
    "Basic authentication failed",
    "InternalServerErrorExceptionHandler raised an error",
    "the task-force finished the risk-assessment",
    "API key: missing",
    "Bearer token missing",
    "internationalization",
    "rate limit reached for requests: limit 10000, used 9999, requested 1",
    "timeout after 30s; retry-after 12",
]


@pytest.mark.parametrize(("message", "secret_part"), GONE)
def test_key_forms_are_removed(message: str, secret_part: str) -> None:
    out = scrub(message, [SECRET, SENTINEL])
    assert secret_part.lower() not in out.lower(), out
    assert REDACTED in out


@pytest.mark.parametrize("message", KEPT)
def test_ordinary_text_and_numbers_are_kept(message: str) -> None:
    assert scrub(message, [SECRET, SENTINEL]) == message


def test_plain_strings_removed_exactly_and_text_cut() -> None:
    assert scrub("the prompt was: say hi", plain=["say hi"]) == f"the prompt was: {REDACTED}"
    assert scrub("a  b\n c") == "a b c"
    assert len(scrub("x" * 1000)) == 300
    assert scrub("x" * 1000, limit=None) == "x" * 1000


def test_adapter_errors_scrub_key_like_tokens_themselves() -> None:
    err = AdapterError(ErrorKind.AUTH, "proxy: Incorrect API key provided: sk-abcdefghijklmnop1234")
    assert "sk-abcdefghijklmnop1234" not in err.message and "sk-abcdefghijklmnop1234" not in str(err)


_KEY_ALPHABET = string.ascii_letters + string.digits + "-_"


@settings(max_examples=300, deadline=None)
@given(secret=st.text(_KEY_ALPHABET, min_size=12, max_size=64), case=st.sampled_from(["same", "upper", "lower"]),
       before=st.text(string.ascii_letters + " .:,", max_size=40), after=st.text(string.ascii_letters + " .:,",
                                                                                max_size=40))
def test_a_configured_secret_never_survives_in_any_case(secret: str, case: str, before: str, after: str) -> None:
    shown = {"same": secret, "upper": secret.upper(), "lower": secret.lower()}[case]
    out = scrub(f"{before} {shown} {after}", [secret], limit=None)
    assert shown not in out
    masked = scrub(f"{before} {secret[:4]}...{secret[-4:]} {after}", [secret], limit=None)
    assert f"...{secret[-4:]}" not in masked


@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.one_of(st.integers(-10**9, 10**9).map(str),
                                st.text(string.ascii_lowercase, min_size=1, max_size=12)), max_size=30))
def test_answers_of_words_and_numbers_are_left_alone(words: list[str]) -> None:
    text = " ".join(words)
    assert scrub(text, [SECRET, SENTINEL], limit=None) == " ".join(text.split())


ECHOED = "gw-Zq81vXl0PaaK3mW7tR2s-wxYV"


@pytest.mark.parametrize("kind", ["openai", "anthropic", "gemini", "triton"])
async def test_every_adapter_scrubs_a_key_echoed_back_upper_cased_and_masked(
    kind: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aiohttp import web

    from monitor.adapters import create_adapter
    from monitor.config import Config
    from tests.vendor_server import serving

    monkeypatch.setenv("TM_TEST_ECHOED", ECHOED)
    echo = f"denied for {ECHOED.upper()} ({ECHOED[:4]}...{ECHOED[-4:]}; ****{ECHOED[-4:]})"

    async def deny(request: web.Request) -> web.Response:
        body = {"error": echo} if kind == "triton" else {"error": {"message": echo, "type": "invalid_request_error"}}
        return web.json_response(body, status=400)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", deny)
    async with serving(app) as port:
        secret = {"env": "TM_TEST_ECHOED"}
        endpoint: dict[str, object] = {"name": "ep", "kind": kind, "model": "m"}
        if kind == "triton":
            endpoint.update(url=f"127.0.0.1:{port}", protocol="http", headers={"x-gateway-key": secret})
        else:
            endpoint.update(base_url=f"http://127.0.0.1:{port}", api_key=secret)
        cfg = Config.model_validate({"store": {"url": "sqlite:///:memory:"}, "endpoints": [endpoint]})
        adapter = create_adapter(cfg.endpoints[0])
        messages = []
        for call in (adapter.identity(), adapter.generate(ProbeRequest("q"), timeout_s=5)):
            with pytest.raises(AdapterError) as info:
                await call
            messages.append(info.value.message)
        await adapter.close()
    for message in messages:
        assert "denied for" in message and REDACTED in message, message
        assert ECHOED[-4:].lower() not in message.lower() and ECHOED[:8].lower() not in message.lower(), message
