"""The report pages on the monitor's HTTP listener: /runs, /runs/<id>, /runs/<a>/compare/<b>, reviewer verdicts.

The room mounts its routes before the listener starts (so /healthz answers while the service starts) and is
handed what it reads once the store is open (:meth:`WebRoom.attach`); until then its pages answer 503.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar
from urllib.parse import urlsplit

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from monitor.config import Config
from monitor.http import split_hostport
from monitor.store import ReviewRecord
from monitor.web import views
from monitor.web.auth import COOKIE, SESSION_S, Principal, WebAuth
from monitor.web.labels import reading_kind
from monitor.web.render import CSP, Renderer, image_type
from monitor.web.sources import Sources

log = logging.getLogger(__name__)

Q = TypeVar("Q", bound=BaseModel)
Handler = Callable[[web.Request, Sources, Principal], Awaitable[web.StreamResponse]]
NO_TOKENS = "reviewer verdicts need API tokens (server.auth.tokens): without them nobody can be told apart"


class ReviewForm(BaseModel):
    """A reviewer verdict as the run page's form (or a script with a bearer token) posts it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task: str = Field(min_length=1, max_length=255)
    variant: str = Field(min_length=1, max_length=255)
    sample_id: str = Field(min_length=1, max_length=255)
    label: str = Field("", max_length=16)
    note: str = Field("", max_length=2000)
    reviewer: str = Field("", max_length=100)
    action: Literal["mark", "withdraw"] = "mark"
    csrf: str = Field("", max_length=128)
    back: str = Field("", max_length=2000)


class LoginForm(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    token: str = Field(min_length=1, max_length=4096)
    next: str = Field("/runs", max_length=2000)
    username: str = Field("", max_length=64)  # only for password managers: a token has no user


class CsrfForm(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    csrf: str = Field("", max_length=128)


def _problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'request'}: {e['msg']}" for e in exc.errors())


def safe_next(target: str) -> str:
    """Only a path on this server (no scheme, no host, no protocol-relative //): else /runs."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target or any(ord(c) < 32 for c in target):
        return "/runs"
    return target


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class WebRoom:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.auth = WebAuth([t.reveal() for t in config.server.auth.tokens], config.server.auth.token_hashes)
        self.renderer = Renderer()
        self._sources: Sources | None = None

    # -- wiring -------------------------------------------------------------------------------------------
    def mount(self, app: web.Application) -> None:
        add = app.router
        add.add_get("/", self._root)
        add.add_get("/runs", self._page(self._runs))
        add.add_get("/runs/latest", self._page(self._latest))
        add.add_get("/runs/{run_id}", self._page(self._run))
        add.add_get("/runs/{run_id}/report.html", self._page(self._report))
        add.add_get("/runs/{a}/compare/{b}", self._page(self._compare))
        add.add_post("/runs/{run_id}/reviews", self._page(self._review, post=True))
        add.add_get("/images/{task}/{variant}/{sample_id}", self._page(self._image))
        add.add_get("/login", self._login_form)
        add.add_post("/login", self._login)
        add.add_post("/logout", self._logout)
        host, _ = split_hostport(self.config.server.http_listen)
        if not self.auth.enabled and not is_loopback(host):
            log.warning("the run report pages on %s are open to anyone who can reach it (no server.auth.tokens): "
                        "they show the probe prompts and the model's answers", self.config.server.http_listen)

    def attach(self, sources: Sources) -> None:
        self._sources = sources

    @property
    def sources(self) -> Sources | None:
        """What the pages read, once the service has attached it."""
        return self._sources

    # -- the gate every page goes through -----------------------------------------------------------------
    def principal(self, request: web.Request) -> Principal | None:
        if not self.auth.enabled:
            return Principal("open")
        if self.auth.bearer(request.headers.get("Authorization")):
            return Principal("bearer")
        return self.auth.session(request.cookies.get(COOKIE))

    def _page(self, handler: Handler, *, post: bool = False) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            try:
                principal = self.principal(request)
                if principal is None:
                    response: web.StreamResponse = self._refused(request, post)
                elif post and not self._same_origin(request):
                    response = self._error(403, "a form of another site may not post here", principal)
                elif self._sources is None:
                    response = self._error(503, "the monitor is starting; try again in a moment", principal)
                else:
                    response = await handler(request, self._sources, principal)
            except views.PageError as exc:
                response = self._error(exc.status, exc.message, None)
            except web.HTTPException:
                raise
            except Exception:
                log.exception("the page %s failed", request.path)
                response = self._error(500, "the page could not be made; the monitor's log says why", None)
            _secure(response)
            return response

        return wrapped

    def _refused(self, request: web.Request, post: bool) -> web.Response:
        headers = {"WWW-Authenticate": 'Bearer realm="trust-monitor"'}
        if post or request.method != "GET" or request.path.startswith("/images/"):
            return web.Response(status=401, text="401: log in or send 'Authorization: Bearer <token>'\n",
                                headers=headers)
        body = self.renderer.login(next_url=safe_next(request.path_qs), message="")
        return web.Response(status=401, text=body, content_type="text/html", headers=headers)

    @staticmethod
    def _same_origin(request: web.Request) -> bool:
        """No Origin (not a browser), or this host's. The scheme is not compared: behind a TLS proxy the page is
        https while the monitor sees http."""
        origin = request.headers.get("Origin")
        return origin is None or urlsplit(origin).netloc == request.host

    def _error(self, status: int, message: str, principal: Principal | None) -> web.Response:
        body = self.renderer.error(status, message, principal=principal, csrf=self._csrf(principal))
        return web.Response(status=status, text=body, content_type="text/html")

    def _csrf(self, principal: Principal | None) -> str:
        return self.auth.csrf(principal) if principal is not None else ""

    def _html(self, body: str) -> web.Response:
        return web.Response(text=body, content_type="text/html")

    # -- pages --------------------------------------------------------------------------------------------
    async def _root(self, _request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/runs")

    async def _runs(self, request: web.Request, src: Sources, principal: Principal) -> web.StreamResponse:
        query = _query(views.RunsQuery, request)

        def make() -> str:
            return self.renderer.runs(views.runs_view(src, query), principal=principal, csrf=self._csrf(principal))

        return self._html(await asyncio.to_thread(make))

    async def _latest(self, request: web.Request, src: Sources, _principal: Principal) -> web.StreamResponse:
        endpoint = request.query.get("endpoint", "")
        if not endpoint or set(request.query) - {"endpoint"}:
            raise views.PageError(400, "use /runs/latest?endpoint=NAME")
        runs = await asyncio.to_thread(src.store.list_runs, endpoint, 1)
        if not runs:
            raise views.PageError(404, f"endpoint {endpoint!r} has no run")
        raise web.HTTPSeeOther(f"/runs/{runs[0].id}")

    async def _run(self, request: web.Request, src: Sources, principal: Principal) -> web.StreamResponse:
        query = _query(views.RunQuery, request)
        run_id = request.match_info["run_id"]
        can_review = self.auth.enabled and principal.kind in ("session", "bearer")
        note = "" if can_review else NO_TOKENS

        def make() -> str:
            view = views.run_view(src, run_id, query)
            return self.renderer.run(view, suite_version=src.suite_version, can_review=can_review, review_note=note,
                                     principal=principal, csrf=self._csrf(principal))

        return self._html(await asyncio.to_thread(make))

    async def _report(self, request: web.Request, src: Sources, _principal: Principal) -> web.StreamResponse:
        if request.query:
            raise views.PageError(400, "the report takes no parameters")
        run_id = request.match_info["run_id"]

        def make() -> str:
            return self.renderer.export(views.run_view(src, run_id, views.RunQuery(), everything=True))

        response = self._html(await asyncio.to_thread(make))
        response.headers["Content-Disposition"] = f'attachment; filename="trust-monitor-run-{run_id[:12]}.html"'
        return response

    async def _compare(self, request: web.Request, src: Sources, principal: Principal) -> web.StreamResponse:
        if request.query:
            raise views.PageError(400, "the comparison takes no parameters")
        a, b = request.match_info["a"], request.match_info["b"]

        def make() -> str:
            return self.renderer.compare(views.compare_view(src, a, b), principal=principal,
                                         csrf=self._csrf(principal))

        return self._html(await asyncio.to_thread(make))

    async def _image(self, request: web.Request, src: Sources, _principal: Principal) -> web.StreamResponse:
        task = src.catalogue.get(request.match_info["task"])
        sample = task.samples_by_id.get(request.match_info["sample_id"]) if task is not None else None
        variant = request.match_info["variant"]
        if task is None or sample is None or variant not in task.variants:
            raise views.PageError(404, "no such sample in the suite")
        try:
            path = task.image_path(sample, variant)
        except (FileNotFoundError, ValueError):
            path = None
        if path is None or not path.is_file():
            raise views.PageError(404, "this sample is sent without an image")
        return web.FileResponse(path, headers={"Content-Type": image_type(path),
                                               "Cache-Control": "private, max-age=86400"})

    async def _review(self, request: web.Request, src: Sources, principal: Principal) -> web.StreamResponse:
        run_id = request.match_info["run_id"]
        if not self.auth.enabled:
            raise views.PageError(403, NO_TOKENS)
        try:
            form = ReviewForm.model_validate(dict(await request.post()))
        except ValidationError as exc:
            raise views.PageError(400, f"invalid reviewer verdict: {_problems(exc)}") from None
        if not self.auth.csrf_ok(principal, form.csrf):
            raise views.PageError(403, "the form has expired or did not come from this page: reload it and try again")

        def save() -> None:
            task = src.catalogue.get(form.task)
            if src.store.get_run(run_id) is None:
                raise views.PageError(404, f"no run {run_id!r}")
            result = next((r for r in src.store.results(run_id, form.task)
                           if (r.variant, r.sample_id) == (form.variant, form.sample_id)), None)
            if result is None:
                raise views.PageError(404, f"run {run_id} has no sample {form.task}/{form.variant}/{form.sample_id}")
            if form.action == "withdraw":
                src.store.delete_review(run_id, form.task, form.variant, form.sample_id)
                return
            kind = reading_kind(task) if task is not None else None
            readings = kind[1] if kind is not None else ()
            if form.label and form.label not in readings:
                allowed = ", ".join(readings) or "none for this task"
                raise views.PageError(400, f"label {form.label!r}: the readings of {form.task} are {allowed}")
            src.store.save_review(ReviewRecord(run_id, form.task, form.variant, form.sample_id, label=form.label,
                                               note=form.note.strip(), reviewer=form.reviewer.strip(),
                                               scorer=result.scorer, scorer_score=result.score))

        await asyncio.to_thread(save)
        log.info("reviewer verdict on run %s, %s/%s/%s: %s", run_id, form.task, form.variant, form.sample_id,
                 "withdrawn" if form.action == "withdraw" else "score marked wrong")
        back = safe_next(form.back) if form.back else f"/runs/{run_id}?task={form.task}"
        raise web.HTTPSeeOther(back)

    # -- login --------------------------------------------------------------------------------------------
    async def _login_form(self, request: web.Request) -> web.StreamResponse:
        target = safe_next(request.query.get("next", "/runs"))
        if not self.auth.enabled:
            raise web.HTTPSeeOther(target)
        return _secure(self._html(self.renderer.login(next_url=target)))

    async def _login(self, request: web.Request) -> web.StreamResponse:
        if not self.auth.enabled:
            return _secure(self._error(400, "no API tokens are configured: the pages are open", None))
        if not self._same_origin(request):
            return _secure(self._error(403, "a form of another site may not post here", None))
        try:
            form = LoginForm.model_validate(dict(await request.post()))
        except ValidationError:
            return _secure(self._html_status(401, self.renderer.login(next_url="/runs", message="give a token")))
        target = safe_next(form.next)
        if not self.auth.token_ok(form.token):
            log.warning("a login to the report pages with an invalid token from %s", request.remote)
            await asyncio.sleep(0.5)  # a slower guess
            return _secure(self._html_status(401, self.renderer.login(next_url=target, message="invalid token")))
        response = web.Response(status=303, headers={"Location": target})
        response.set_cookie(COOKIE, self.auth.new_session(form.token), max_age=SESSION_S, httponly=True,
                            samesite="Strict", path="/", secure=request.secure)
        return _secure(response)

    async def _logout(self, request: web.Request) -> web.StreamResponse:
        principal = self.principal(request)
        try:
            form = CsrfForm.model_validate(dict(await request.post()))
        except ValidationError as exc:
            return _secure(self._error(400, _problems(exc), principal))
        if principal is not None and principal.kind == "session" and not self.auth.csrf_ok(principal, form.csrf):
            return _secure(self._error(403, "the form has expired: reload the page", principal))
        response = web.Response(status=303, headers={"Location": "/login" if self.auth.enabled else "/runs"})
        response.del_cookie(COOKIE, path="/")
        return _secure(response)

    @staticmethod
    def _html_status(status: int, body: str) -> web.Response:
        return web.Response(status=status, text=body, content_type="text/html")


def _query(model: type[Q], request: web.Request) -> Q:
    raw = {k: v for k, v in request.query.items() if v != ""}
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise views.PageError(400, f"invalid parameters: {_problems(exc)}") from None


def _secure(response: web.StreamResponse) -> web.StreamResponse:
    """Headers of every page: nothing loads from elsewhere, no framing, no referrer to other sites (a same-origin
    policy keeps the Origin header on form posts, which the origin check reads), not stored in caches."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cache-Control", "no-store")
    return response
