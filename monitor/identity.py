"""Who answers behind an endpoint, and whether that changed: the model-identity watch of the run manager.

The identity is read in one chain, the same for every adapter:

1. the endpoint's own description of the model: ``adapter.identity()``, which tries the model's route and then the
   list of models (monitor.adapters._fallback) and says which answered (``source`` "model" or "list");
2. what the replies themselves name: the ``model`` and build fingerprint (OpenAI's ``system_fingerprint``) of the
   canary replies (``model_check.canary``) and, when no route describes the model and no canary is asked, of one
   short reply probe (the first canary prompt, 8 tokens) per check; an endpoint whose replies name nothing (Triton)
   gets no reply probe after the first;
3. during runs, the probe replies: the runner tells :meth:`IdentityWatch.on_reply` of every reply (a dict look-up
   and a compare on the hot path), so a new build seen mid-run is recorded at once and, with
   ``model_check.run_on_change``, a run for it is queued behind the current one.

A change is a difference in any part both sightings have: the description, the canary answers, the model or build
the replies name. A part missing this time (a route timing out, a canary prompt failing) is not compared, so a
flaky route never reads as a model change and a failed identity read never disables the canary. The identity stored
with a run and exported as ``trust_model_info`` is built from the same parts every time for a given server, so
runs of one model keep one identity (regression references group runs by it); it is unknown (None) only while the
endpoint is unreachable and nothing else tells.

Logging: one WARNING per change of state (identity readable through the model route / the list / the replies only /
not at all, canary failing / answering again), DEBUG for every check that changes nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from monitor import events
from monitor.adapters import Adapter, AdapterError, ModelIdentity, ProbeRequest, Reply

if TYPE_CHECKING:
    from monitor.config import Config, EndpointConfig
    from monitor.store import Store

log = logging.getLogger(__name__)

# Fixed, harmless prompts whose answers at temperature 0 change when the model behind an endpoint changes.
CANARY_PROMPTS = (
    "Reply with the single word: ready.",
    "What is 17 plus 25? Answer with the number only.",
    "Name the colour of a clear daytime sky in one word.",
)
CANARY_TOKENS = 32
REPLY_PROBE_TOKENS = 8


@dataclass(frozen=True)
class Named:
    """What replies say about who answered: model name and build fingerprint ("" where a reply says nothing)."""

    model: str = ""
    build: str = ""

    def __bool__(self) -> bool:
        return bool(self.model or self.build)

    def differs(self, other: Named) -> bool:
        """A difference in a part both name (a reply that omits its build is no change)."""
        return bool((self.model and other.model and self.model != other.model)
                    or (self.build and other.build and self.build != other.build))

    def merged(self, newer: Named) -> Named:
        return Named(newer.model or self.model, newer.build or self.build)


@dataclass(frozen=True)
class Sighting:
    """The parts of one endpoint's identity seen so far (a part not seen this time is carried forward)."""

    described: ModelIdentity | None = None  # the endpoint's own description
    canary: str = ""  # digest of the canary answers' texts (compared)
    canary_replies: tuple[str, ...] = ()  # text, model, build of each canary reply (folded into the fingerprint)
    replies_only: bool = False  # no route describes the model: the identity is what the replies name
    stored: ModelIdentity | None = None  # after a restart: the last run's identity, until a check sees the parts


def _key(identity: ModelIdentity) -> tuple[str, str, str]:
    return identity.model, identity.version, identity.fingerprint


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]


def _named(replies: list[Reply]) -> Named:
    models = sorted({r.model for r in replies if r.model})
    builds = sorted({r.fingerprint for r in replies if r.fingerprint})
    return Named(",".join(models), ",".join(builds))


class IdentityWatch:
    """Reads identities (:meth:`check`), follows the probe replies (:meth:`on_reply`), records changes.

    ``running(endpoint)`` is the run holding the endpoint now (events of changes seen in replies name it);
    ``on_change(endpoint)`` is told after a change seen in probe replies is recorded (the run manager queues a
    run for it)."""

    def __init__(self, config: Config, store: Store, bus: events.EventBus, *,
                 running: Callable[[str], str | None], on_change: Callable[[str], None]) -> None:
        self.config = config
        self.store = store
        self.bus = bus
        self.identities: dict[str, ModelIdentity] = {}  # the latest identity per endpoint (metrics, the API)
        self._running = running
        self._on_change = on_change
        self._sightings: dict[str, Sighting] = {}
        self._replies: dict[str, Named] = {}  # what the latest replies named, per endpoint
        self._last_said: dict[str, tuple[str, str]] = {}  # (model, build) of the last probe reply, per endpoint
        self._state: dict[str, str] = {}  # how the identity was last read: model | list | replies | unreadable
        self._canary_failing: set[str] = set()
        self._silent: set[str] = set()  # endpoints whose replies name no model: no reply probe
        self._flagged: set[str] = set()  # runs in which a change in replies was already recorded
        self._tasks: set[asyncio.Task[None]] = set()

    # -- the periodic check and the start of every run -------------------------------------------------------
    def forget(self, endpoint: str) -> None:
        """Drop what this process saw of the endpoint: the next check compares with the store's last identity
        (several processes take turns checking an endpoint in mode: distributed)."""
        self._sightings.pop(endpoint, None)
        self._replies.pop(endpoint, None)

    async def check(self, endpoint: str, adapter: Adapter, run_id: str | None) -> tuple[ModelIdentity | None, bool]:
        """Who answers now, and whether that changed since the last identity seen (recorded as an event)."""
        config = self.config.endpoint(endpoint)
        assert config is not None
        described, error = await self._describe(config, adapter)
        routes_missing = error is not None and not error.retryable
        replies: list[Reply] = []
        canary = ""
        failed: AdapterError | None = None  # the canary's or reply probe's error
        if config.model_check.canary:
            canary, replies, failed = await self._canary(config, adapter)
        elif routes_missing and endpoint not in self._silent:
            replies, failed = await self._reply_probe(config, adapter)
        answers = tuple(part for r in replies for part in (r.text, r.model, r.fingerprint)) if canary else ()
        named = _named(replies)
        if replies and not named and endpoint not in self._silent:
            self._silent.add(endpoint)
            log.info("endpoint %s: its replies name no model or build; identity from %s", endpoint,
                     "the canary answers" if config.model_check.canary else "nowhere between runs")
        worst = failed or error
        outcome = "ok" if described is not None or replies or worst is None else worst.kind.value
        self.bus.publish(events.Event(events.ENDPOINT_CHECKED, endpoint, outcome=outcome))

        previous = self._sightings.get(endpoint)
        if previous is None:
            previous = Sighting(stored=await self._stored(endpoint, run_id))
        before = self._replies.get(endpoint, Named())
        what: list[str] = []
        if previous.described is not None and described is not None and _key(previous.described) != _key(described):
            what.append("description")
        if previous.canary and canary and previous.canary != canary:
            what.append("canary answers")
        if named.differs(before):
            what.append("model named by replies")
        unreachable = error is not None and error.retryable
        sighting = Sighting(  # a part not seen this time is carried forward, never compared as a change
            described=described if described is not None else previous.described if unreachable else None,
            canary=canary or previous.canary,
            canary_replies=answers or previous.canary_replies,
            replies_only=previous.replies_only if unreachable else described is None,
        )
        now = before.merged(named)
        self._sightings[endpoint] = sighting
        self._replies[endpoint] = now
        identity = None if unreachable else self._identity(config, sighting, now)  # unreachable: unknown
        complete = bool(canary) or not config.model_check.canary  # built the way the stored one was
        stored = previous.stored
        if stored is not None and identity is not None and complete and _key(stored) != _key(identity):
            what.append("identity since the last run")
        old = self.identities.get(endpoint) or previous.stored
        if identity is not None:
            self.identities[endpoint] = identity
        if what:
            await self._record(endpoint, run_id, old, identity or self.identities.get(endpoint), what, "check")
        return identity, bool(what)

    async def _describe(self, config: EndpointConfig, adapter: Adapter
                        ) -> tuple[ModelIdentity | None, AdapterError | None]:
        name = config.name
        try:
            described = await adapter.identity()
        except AdapterError as exc:
            state = "unreadable" if exc.retryable else "replies"
            if self._state.get(name) != state:
                if exc.retryable:
                    log.warning("endpoint %s: cannot read the model identity now (%s); the canary and the "
                                "replies still tell a change", name, exc.kind.value)
                else:
                    log.warning("endpoint %s: identifying the model by what the replies name (%s)", name,
                                exc.message)
            else:
                log.debug("endpoint %s: identity still %s (%s)", name, state, exc.kind.value)
            self._state[name] = state
            return None, exc
        state = described.source or "model"
        old = self._state.get(name)
        if old == state:
            log.debug("endpoint %s: identity read (%s route)", name, state)
        elif state == "list":
            log.warning("endpoint %s: no route describes the model alone; identity read from the model list", name)
        elif old is not None:
            log.warning("endpoint %s: model identity readable again (%s route)", name, state)
        else:
            log.info("endpoint %s: model identity read (%s route)", name, state)
        self._state[name] = state
        return described, None

    async def _canary(self, config: EndpointConfig, adapter: Adapter
                      ) -> tuple[str, list[Reply], AdapterError | None]:
        """The canary answers' digest ("" when a prompt failed), the replies got, and the error of a failed one."""
        replies: list[Reply] = []
        for i, prompt in enumerate(CANARY_PROMPTS):
            try:
                replies.append(await adapter.generate(
                    ProbeRequest(prompt, max_tokens=CANARY_TOKENS, request_id=f"canary/{i}"),
                    timeout_s=config.timeout))
            except AdapterError as exc:
                if config.name not in self._canary_failing:
                    self._canary_failing.add(config.name)
                    log.warning("endpoint %s: canary prompt failed (%s); its answers are not compared until it "
                                "answers again", config.name, exc.kind.value)
                else:
                    log.debug("endpoint %s: canary prompt failed again (%s)", config.name, exc.kind.value)
                return "", replies, exc
        if config.name in self._canary_failing:
            self._canary_failing.discard(config.name)
            log.warning("endpoint %s: canary answers again", config.name)
        return _digest(*(r.text for r in replies)), replies, None

    async def _reply_probe(self, config: EndpointConfig, adapter: Adapter) -> tuple[list[Reply], AdapterError | None]:
        try:
            reply = await adapter.generate(
                ProbeRequest(CANARY_PROMPTS[0], max_tokens=REPLY_PROBE_TOKENS, request_id="identity/0"),
                timeout_s=config.timeout)
        except AdapterError as exc:
            log.debug("endpoint %s: reply probe failed (%s)", config.name, exc.kind.value)
            return [], exc
        return [reply], None

    def _identity(self, config: EndpointConfig, sighting: Sighting, named: Named) -> ModelIdentity | None:
        """The identity stored with runs: built from the same parts every time for a given server."""
        described = sighting.described
        if described is not None and not sighting.replies_only:
            if not sighting.canary:
                return described
            return ModelIdentity(described.model, described.version,
                                 _digest(described.fingerprint, *sighting.canary_replies),
                                 {**described.extra, "canary": "1"}, described.source)
        if not (named or sighting.canary):
            return None
        extra = {"canary": "1"} if sighting.canary else {}
        return ModelIdentity(named.model or getattr(config, "model", "") or config.name, named.build,
                             _digest("replies", named.model, named.build, sighting.canary), extra, "replies")

    async def _stored(self, endpoint: str, run_id: str | None) -> ModelIdentity | None:
        """After a restart: the identity of the endpoint's last run (other than ``run_id``)."""
        last = await asyncio.to_thread(self.store.list_runs, endpoint, 5)
        seen = next((r for r in last if r.model and r.id != run_id), None)
        return None if seen is None else ModelIdentity(seen.model, seen.model_version, seen.model_fingerprint)

    async def _record(self, endpoint: str, run_id: str | None, old: ModelIdentity | None,
                      new: ModelIdentity | None, what: list[str], seen_in: str) -> None:
        def part(identity: ModelIdentity | None) -> dict[str, str]:
            i = identity or ModelIdentity("")
            return {"model": i.model, "version": i.version, "fingerprint": i.fingerprint, "source": i.source}

        detail: dict[str, object] = {"from": part(old), "to": part(new), "what": what, "seen_in": seen_in}
        await asyncio.to_thread(self.store.add_event, events.MODEL_CHANGED, endpoint, run_id, detail)
        self.bus.publish(events.Event(events.MODEL_CHANGED, endpoint, run_id))
        before, after = part(old), part(new)
        log.warning("endpoint %s: model changed (%s, seen in %s): %s %s %s -> %s %s %s", endpoint, ", ".join(what),
                    seen_in, before["model"], before["version"], before["fingerprint"], after["model"],
                    after["version"], after["fingerprint"])

    # -- probe replies during runs ---------------------------------------------------------------------------
    def on_reply(self, endpoint: str, reply: Reply) -> None:
        """Told of every successful probe reply (the runner's hot path: one look-up and a compare)."""
        said = (reply.model, reply.fingerprint)
        if said != self._last_said.get(endpoint) and (said[0] or said[1]):
            self._last_said[endpoint] = said
            self._reply_named(endpoint, Named(*said))

    def _reply_named(self, endpoint: str, named: Named) -> None:
        before = self._replies.get(endpoint)
        now = named if before is None else before.merged(named)
        self._replies[endpoint] = now
        if before is None or not named.differs(before):
            return  # the first reply seen, or one that only adds a part
        run_id = self._running(endpoint)
        config = self.config.endpoint(endpoint)
        old = self.identities.get(endpoint)
        sighting = self._sightings.get(endpoint)
        if config is not None and sighting is not None:
            new = self._identity(config, sighting, now) if sighting.replies_only else None
            if new is not None:  # (a described identity with canary changes at the next check)
                self.identities[endpoint] = new
        if run_id is not None and run_id in self._flagged:
            log.debug("endpoint %s: replies name %s %s (run %s already flagged)", endpoint, now.model, now.build,
                      run_id)
            return  # one change per run: replicas answering with different builds do not flood the events
        if run_id is not None:
            if len(self._flagged) > 1000:
                self._flagged.clear()
            self._flagged.add(run_id)
        task = asyncio.get_running_loop().create_task(self._changed_in_replies(endpoint, run_id, old))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _changed_in_replies(self, endpoint: str, run_id: str | None, old: ModelIdentity | None) -> None:
        try:
            now = self._replies[endpoint]
            new = self.identities.get(endpoint) or ModelIdentity(now.model, now.build, "", source="replies")
            await self._record(endpoint, run_id, old, new, ["model named by replies"], "probe replies")
            self._on_change(endpoint)
        except Exception:  # a broken store must not break the run that saw the reply
            log.exception("endpoint %s: recording a model change seen in replies failed", endpoint)

    async def drain(self) -> None:
        """Wait for changes seen in replies to be recorded (shutdown, tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
