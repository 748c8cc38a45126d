"""The server's own secrets never leave it: API tokens (given plainly or as hashes), tokens presented by clients
(right or wrong, over gRPC, to /metrics and to the login form) and the TLS private key appear in no log line
(DEBUG included), no error reply, no metric, no page and nothing stored."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
import grpc
import pytest

from monitor.api.stubs import load
from monitor.tokens import token_hash
from tests.monitor.api.served import Records, make_certs, served

pb2, pb2_grpc = load()
PLAIN = "sentinel-plain-token-7f3a9c"
HASHED = "sentinel-hashed-token-2b8e41"
WRONG = "sentinel-wrong-token-c0ffee"  # presented by a client, accepted nowhere


def _stored(folder: Path) -> bytes:
    """The store's bytes: the SQLite file and its journal."""
    return b"".join(p.read_bytes() for p in folder.glob("monitor.db*"))


async def test_server_secrets_stay_out_of_logs_replies_metrics_and_store(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    certs = make_certs(tmp_path / "certs")
    key_body = max(certs.server_key.read_text().splitlines(), key=len)  # the longest base64 line of the key
    monkeypatch.setenv("TM_TEST_SECRET_TOKEN", PLAIN)
    digest = token_hash(HASHED)
    sentinels = [PLAIN, HASHED, WRONG, digest.removeprefix("sha256:"), key_body]
    auth = {"tokens": [{"env": "TM_TEST_SECRET_TOKEN"}], "token_hashes": [digest], "protect_metrics": True}
    tls = {"cert": str(certs.server_cert), "key": str(certs.server_key)}
    replies: list[str] = []
    with Records() as logs, served(tmp_path, auth=auth, tls=tls) as monitor:
        creds = grpc.ssl_channel_credentials(certs.ca.read_bytes())
        async with grpc.aio.secure_channel(monitor.grpc_addr, creds) as channel:
            stub = pb2_grpc.TrustMonitorStub(channel)
            for token in (PLAIN, HASHED):
                run = await stub.StartRun(pb2.StartRunRequest(endpoint="demo"),
                                          metadata=[("authorization", f"Bearer {token}")])
                await stub.CancelRun(pb2.CancelRunRequest(run_id=run.id),
                                     metadata=[("authorization", f"Bearer {token}")])
            for metadata in ([("authorization", f"Bearer {WRONG}")], [("authorization", WRONG)], []):
                try:
                    await stub.ListRuns(pb2.ListRunsRequest(), metadata=metadata)
                except grpc.aio.AioRpcError as exc:
                    replies.append(f"{exc.code()} {exc.details()} {exc.debug_error_string()}")
            for bad in (pb2.GetRunRequest(run_id="no-such-run"), pb2.StartRunRequest(endpoint="nope")):
                method = stub.GetRun if isinstance(bad, pb2.GetRunRequest) else stub.StartRun
                try:
                    await method(bad, metadata=[("authorization", f"Bearer {PLAIN}")])
                except grpc.aio.AioRpcError as exc:
                    replies.append(f"{exc.code()} {exc.details()} {exc.debug_error_string()}")
        async with aiohttp.ClientSession() as s:
            for token in (WRONG, PLAIN, HASHED):
                async with s.get(f"{monitor.http}/metrics", headers={"Authorization": f"Bearer {token}"}) as r:
                    replies.append(f"{r.status} {dict(r.headers)} {await r.text()}")
            for token in (WRONG, HASHED):
                async with s.post(f"{monitor.http}/login", data={"token": token, "next": "/runs"},
                                  allow_redirects=False) as r:
                    replies.append(f"{r.status} {dict(r.headers)} {await r.text()}")
            async with s.get(f"{monitor.http}/runs", headers={"Authorization": f"Bearer {PLAIN}"}) as r:
                assert r.status == 200
                replies.append(await r.text())
        replies.append(repr(monitor.service.config) + str(monitor.service.config.server))
    assert len(replies) >= 12 and any("UNAUTHENTICATED" in r for r in replies)
    assert any("401" in r for r in replies) and any("trust_runs_total" in r for r in replies)
    stored = _stored(tmp_path)
    assert stored
    text = logs.text()
    assert len(logs.records) > 20 and any(r.levelname == "DEBUG" for r in logs.records)
    for secret in sentinels:
        assert secret not in text, f"{secret[:12]}… in the log"
        for reply in replies:
            assert secret not in reply, f"{secret[:12]}… in a reply: {reply[:200]}"
        assert secret.encode() not in stored, f"{secret[:12]}… in the store"
    assert not re.search(r"BEGIN (EC |RSA )?PRIVATE KEY", text + "".join(replies))
