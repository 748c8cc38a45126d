"""TLS and mutual TLS on the gRPC API with real certificates (made here with openssl), bearer tokens given plainly
and as SHA-256 hashes, and the CLI's --tls-* options, all over real gRPC on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from monitor.api.stubs import load
from monitor.tokens import token_hash
from tests.monitor.api.served import Certs, make_certs, served

pb2, pb2_grpc = load()
PLAIN = "plain-token-0123456789abcdef"
HASHED = "hashed-token-fedcba9876543210"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def tokens(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("TM_TEST_PLAIN_TOKEN", PLAIN)
    return {"tokens": [{"env": "TM_TEST_PLAIN_TOKEN"}], "token_hashes": [token_hash(HASHED)]}


def _credentials(certs: Certs, *, client: bool = False, root: Path | None = None,
                 stranger: bool = False) -> grpc.ChannelCredentials:
    cert = key = None
    if client or stranger:
        cert = (certs.stranger_cert if stranger else certs.client_cert).read_bytes()
        key = (certs.stranger_key if stranger else certs.client_key).read_bytes()
    return grpc.ssl_channel_credentials((root or certs.ca).read_bytes(), key, cert)


def _bearer(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


async def _code(call: Any) -> grpc.StatusCode:
    try:
        await call
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


async def test_tls_with_tokens(tmp_path: Path, certs: Certs, tokens: dict[str, Any]) -> None:
    tls = {"cert": str(certs.server_cert), "key": str(certs.server_key)}
    with served(tmp_path, tls=tls, auth=tokens) as monitor:
        addr = monitor.grpc_addr
        async with grpc.aio.secure_channel(addr, _credentials(certs)) as channel:
            stub = pb2_grpc.TrustMonitorStub(channel)
            assert len((await stub.ListTasks(pb2.ListTasksRequest(), metadata=_bearer(PLAIN))).tasks) > 5
            assert len((await stub.ListTasks(pb2.ListTasksRequest(), metadata=_bearer(HASHED))).tasks) > 5
            assert await _code(stub.ListTasks(pb2.ListTasksRequest())) == grpc.StatusCode.UNAUTHENTICATED
            for wrong in ("nope", PLAIN + "x", token_hash(HASHED), token_hash(HASHED).removeprefix("sha256:")):
                with pytest.raises(grpc.aio.AioRpcError) as info:
                    await stub.ListTasks(pb2.ListTasksRequest(), metadata=_bearer(wrong))
                assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
                assert info.value.details() == "invalid token"
            # a garbage body without a token: refused for the token, the body is not even read
            raw = channel.unary_unary("/trust_monitor.v1.TrustMonitor/GetRun")
            assert await _code(raw(b"\x0a\x05ab")) == grpc.StatusCode.UNAUTHENTICATED
            # health and reflection need no token, and go over TLS too
            health = health_pb2_grpc.HealthStub(channel)
            assert (await health.Check(health_pb2.HealthCheckRequest())).status == \
                health_pb2.HealthCheckResponse.SERVING

            async def ask() -> AsyncIterator[Any]:
                yield reflection_pb2.ServerReflectionRequest(list_services="")

            names = []
            async for resp in reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(ask()):
                names = [s.name for s in resp.list_services_response.service]
            assert "trust_monitor.v1.TrustMonitor" in names
        # a plaintext client, and a client that does not trust the server's CA, get no connection
        async with grpc.aio.insecure_channel(addr) as plain:
            health = health_pb2_grpc.HealthStub(plain)
            assert await _code(health.Check(health_pb2.HealthCheckRequest(), timeout=5)) == \
                grpc.StatusCode.UNAVAILABLE
        async with grpc.aio.secure_channel(addr, _credentials(certs, root=certs.other_ca)) as distrust:
            health = health_pb2_grpc.HealthStub(distrust)
            assert await _code(health.Check(health_pb2.HealthCheckRequest(), timeout=5)) == \
                grpc.StatusCode.UNAVAILABLE


async def test_mutual_tls(tmp_path: Path, certs: Certs, tokens: dict[str, Any],
                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TM_TEST_TLS_KEY", certs.server_key.read_text())  # the key as a secret ref
    tls = {"cert": str(certs.server_cert), "key": {"env": "TM_TEST_TLS_KEY"}, "client_ca": str(certs.ca)}
    with served(tmp_path, tls=tls, auth=tokens) as monitor:
        addr = monitor.grpc_addr
        for creds, expected in ((_credentials(certs), grpc.StatusCode.UNAVAILABLE),  # no client certificate
                                (_credentials(certs, stranger=True), grpc.StatusCode.UNAVAILABLE),  # other CA's
                                (_credentials(certs, client=True), grpc.StatusCode.OK)):
            async with grpc.aio.secure_channel(addr, creds) as channel:
                health = health_pb2_grpc.HealthStub(channel)
                assert await _code(health.Check(health_pb2.HealthCheckRequest(), timeout=5)) == expected
                if expected == grpc.StatusCode.OK:  # the certificate admits the connection, not the call
                    stub = pb2_grpc.TrustMonitorStub(channel)
                    assert await _code(stub.ListTasks(pb2.ListTasksRequest())) == grpc.StatusCode.UNAUTHENTICATED
                    assert await _code(stub.ListTasks(pb2.ListTasksRequest(), metadata=_bearer(HASHED))) == \
                        grpc.StatusCode.OK

        def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", "monitor.cli", "runs", "list", "--json", "--server", addr,
                                   *args], capture_output=True, text=True, timeout=60,
                                  env={**os.environ, "TRUST_MONITOR_TOKEN": HASHED, **env})

        ok = cli("--tls-ca", str(certs.ca), "--tls-cert", str(certs.client_cert), "--tls-key", str(certs.client_key))
        assert ok.returncode == 0 and ok.stdout.strip() == "[]", ok.stderr
        by_env = cli(TRUST_MONITOR_TLS_CA=str(certs.ca), TRUST_MONITOR_TLS_CERT=str(certs.client_cert),
                     TRUST_MONITOR_TLS_KEY=str(certs.client_key))
        assert by_env.returncode == 0, by_env.stderr
        no_cert = cli("--tls-ca", str(certs.ca))
        assert no_cert.returncode == 1 and "UNAVAILABLE: no monitor answering at" in no_cert.stderr
        plain = cli()
        assert plain.returncode == 1 and "UNAVAILABLE" in plain.stderr and "Traceback" not in plain.stderr
        half = cli("--tls-ca", str(certs.ca), "--tls-cert", str(certs.client_cert))
        assert half.returncode == 2 and "--tls-cert and --tls-key go together" in half.stderr
        missing = cli("--tls-ca", str(tmp_path / "nope.pem"))
        assert missing.returncode == 2 and "--tls-ca" in missing.stderr and "Traceback" not in missing.stderr
        wrong = cli("--tls-ca", str(certs.ca), "--tls-cert", str(certs.client_cert), "--tls-key",
                    str(certs.client_key), TRUST_MONITOR_TOKEN="wrong")
        assert wrong.returncode == 1 and "UNAUTHENTICATED: invalid token" in wrong.stderr


def test_tls_config_errors(tmp_path: Path, certs: Certs) -> None:
    from monitor.config import ServerConfig

    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hello")
    cases = {
        "cannot read certificate": {"cert": str(tmp_path / "missing.pem"), "key": str(certs.server_key)},
        "is not PEM": {"cert": str(not_pem), "key": str(certs.server_key)},
        "client CA": {"cert": str(certs.server_cert), "key": str(certs.server_key), "client_ca": str(not_pem)},
    }
    for expected, tls in cases.items():
        with pytest.raises(ValueError, match=expected):
            ServerConfig.model_validate({"tls": tls})
    ServerConfig.model_validate({"tls": {"cert": str(certs.server_cert), "key": str(certs.server_key)}})
