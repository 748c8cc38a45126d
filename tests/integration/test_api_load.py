"""The gRPC API under load, over real gRPC: a burst of StartRun calls against the bounded queue, and a hundred
WatchRun streams on one run while the server keeps answering."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import grpc

from monitor.api.stubs import load
from tests.monitor.api.served import served

pb2, pb2_grpc = load()
QUEUE = 5


async def test_fifty_start_runs_at_once_against_a_bounded_queue(tmp_path: Path) -> None:
    with served(tmp_path, max_queued_runs=QUEUE) as monitor:
        async with grpc.aio.insecure_channel(monitor.grpc_addr) as channel:
            stub = pb2_grpc.TrustMonitorStub(channel)
            calls = [stub.StartRun(pb2.StartRunRequest(endpoint="demo", tasks=["T.1"])) for _ in range(50)]
            replies = await asyncio.gather(*calls, return_exceptions=True)
            accepted = [r.id for r in replies if not isinstance(r, BaseException)]
            refused = [r for r in replies if isinstance(r, grpc.aio.AioRpcError)]
            assert len(accepted) + len(refused) == 50
            assert all(r.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and "server.max_queued_runs" in str(r.details())
                       for r in refused)
            # QUEUE wait; at most one more was accepted after the first took the endpoint (and left the queue)
            assert QUEUE <= len(accepted) <= QUEUE + 1, len(accepted)
            assert len(set(accepted)) == len(accepted)
            stored = monitor.service.store.list_runs("demo", 100)
            assert sorted(r.id for r in stored) == sorted(accepted)  # none lost, none made twice
            listed = await stub.ListRuns(pb2.ListRunsRequest(endpoint="demo", limit=100))
            assert sorted(r.id for r in listed.runs) == sorted(accepted)

            monitor.open_gate()  # all of them run to the end, one after the other
            for run_id in accepted:
                async for _ in stub.WatchRun(pb2.WatchRunRequest(run_id=run_id)):
                    pass
            final = [monitor.service.store.get_run(i) for i in accepted]
            assert all(r is not None and r.status.value == "succeeded" for r in final)
            again = await stub.StartRun(pb2.StartRunRequest(endpoint="demo", tasks=["T.1"]))  # the queue drained
            assert again.id not in accepted


WATCHERS = 100


async def _watch(stub: Any, run_id: str, connected: asyncio.Queue[None]) -> list[Any]:
    events = []
    async for ev in stub.WatchRun(pb2.WatchRunRequest(run_id=run_id)):
        if not events:
            connected.put_nowait(None)
        events.append(ev)
    return events


async def test_a_hundred_watchers_on_one_run(tmp_path: Path) -> None:
    with served(tmp_path) as monitor:
        async with grpc.aio.insecure_channel(monitor.grpc_addr) as channel:
            stub = pb2_grpc.TrustMonitorStub(channel)
            run = await stub.StartRun(pb2.StartRunRequest(endpoint="demo", tasks=["T.1", "S.4"]))
            connected: asyncio.Queue[None] = asyncio.Queue()
            watchers = [asyncio.create_task(_watch(stub, run.id, connected)) for _ in range(WATCHERS)]
            for _ in range(WATCHERS):
                await asyncio.wait_for(connected.get(), 30)
            assert monitor.watchers() == (WATCHERS, 1)

            latencies = []
            for _ in range(20):  # with every watcher attached, the run waiting at the endpoint
                t0 = time.perf_counter()
                assert (await stub.GetRun(pb2.GetRunRequest(run_id=run.id), timeout=5)).id == run.id
                latencies.append(time.perf_counter() - t0)
            monitor.open_gate()
            while not all(w.done() for w in watchers):  # the server stays responsive meanwhile
                t0 = time.perf_counter()
                got = await stub.GetRun(pb2.GetRunRequest(run_id=run.id), timeout=5)
                latencies.append(time.perf_counter() - t0)
                assert got.id == run.id
                await asyncio.sleep(0.05)
            results = [w.result() for w in watchers]
            final = await stub.GetRun(pb2.GetRunRequest(run_id=run.id))

        assert final.status == pb2.RUN_STATUS_SUCCEEDED and final.done_items == final.total_items > 0
        for events in results:
            assert events[0].kind == "state"
            assert events[-1].kind == "finished" and events[-1].status == pb2.RUN_STATUS_SUCCEEDED
            progress = [e for e in events if e.kind == "progress"]
            assert progress and progress[-1].done_items == final.total_items
        assert latencies and max(latencies) < 1.0, latencies
        print(f"{WATCHERS} watchers: {len(latencies)} GetRun calls meanwhile, slowest {max(latencies) * 1000:.0f} ms")
        for _ in range(100):  # the streams have ended: nothing is left watching
            if monitor.watchers() == (0, 0):
                break
            await asyncio.sleep(0.05)
        assert monitor.watchers() == (0, 0)


async def test_watchers_that_hang_up_are_forgotten(tmp_path: Path) -> None:
    with served(tmp_path) as monitor:
        async with grpc.aio.insecure_channel(monitor.grpc_addr) as channel:
            stub = pb2_grpc.TrustMonitorStub(channel)
            run = await stub.StartRun(pb2.StartRunRequest(endpoint="demo"))
            calls = [stub.WatchRun(pb2.WatchRunRequest(run_id=run.id)) for _ in range(20)]
            for call in calls:
                assert (await call.read()).kind == "state"
            assert monitor.watchers() == (20, 1)
            for call in calls:
                call.cancel()
            for _ in range(100):
                if monitor.watchers() == (0, 0):
                    break
                await asyncio.sleep(0.05)
            assert monitor.watchers() == (0, 0)
