"""The HTTP service: a Starlette app over the Python API (see :mod:`.openapi` for the routes).

``POST /v1/covers`` checks the request (:mod:`.intake`), records the job (:mod:`.store`) and
answers **202** at once; :mod:`.runner` runs it. Auth (a bearer token), body limits and CORS
are ASGI middleware here. Answers never carry the key, a server path or a traceback.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import MinimaxCoverError, SpecValidationError, UsageError
from ..redaction import redact
from ..spec.flat import flat_violations
from ..spec.model import MINIMAX_MUSIC_COVER, ModelSpec
from ..spec.task import CoverTask

__all__ = ["ServeConfig", "create_app"]

MB = 1024 * 1024


@dataclass
class ServeConfig:
    """How the service runs.

    :param state_dir: its folder: ``serve.sqlite3`` (jobs), ``uploads/``, ``covers/<id>/``.
    :param token: the bearer token every ``/v1`` request must carry (``None``: none).
    :param max_upload_bytes: the largest body accepted (a multipart upload).
    :param max_json_bytes: the largest JSON body accepted.
    :param concurrency: jobs running at once.
    :param callback_secret: the HMAC key of completion callbacks (``None``: callbacks off).
    :param cors_origins: origins allowed by CORS (empty: CORS off).
    """

    state_dir: Path
    token: str | None = None
    max_upload_bytes: int = 60 * MB
    max_json_bytes: int = 1 * MB
    concurrency: int = 4
    callback_secret: str | None = None
    cors_origins: list[str] = field(default_factory=list)
    spec: ModelSpec = MINIMAX_MUSIC_COVER

    def __repr__(self) -> str:  # never the token or the secret
        token = "set" if self.token else None
        return (f"ServeConfig(state_dir={str(self.state_dir)!r}, token={token}, "
                f"concurrency={self.concurrency})")


class BodyTooLarge(Exception):
    """The body passed the limit while it was read."""


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": redact(message), **extra}, status_code=status)


class Guard:
    """ASGI middleware: the bearer token on ``/v1`` and the body size limits."""

    def __init__(self, app: ASGIApp, config: ServeConfig) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        if self.config.token and scope["path"].startswith("/v1"):
            given = headers.get("authorization", "")
            expected = f"Bearer {self.config.token}"
            if not hmac.compare_digest(given.encode(), expected.encode()):
                response = _error(401, "missing or wrong bearer token (Authorization: Bearer)")
                response.headers["WWW-Authenticate"] = "Bearer"
                await response(scope, receive, send)
                return
        limit = (self.config.max_upload_bytes if "multipart/" in headers.get("content-type", "")
                 else self.config.max_json_bytes)
        length = headers.get("content-length")
        if length and length.isdigit() and int(length) > limit:
            await _error(413, f"body of {length} bytes is over the limit of {limit}")(
                scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(f"body over the limit of {limit} bytes")
            return message

        await self.app(scope, counted, send)


class Service:
    """The routes' state: config, store, journal, runner (opened by the app's lifespan)."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.store: Any = None
        self.journal: Any = None
        self.runner: Any = None
        self._openapi: dict[str, Any] | None = None

    # ------------------------------------------------------------------ life

    def open(self) -> None:
        """Open the store and the journal, start the pool, collect what a previous run left."""
        from ..journal.store import Journal
        from .callbacks import CallbackSender
        from .runner import JobRunner
        from .store import ServiceStore

        self.config.state_dir.mkdir(parents=True, exist_ok=True)
        self.store = ServiceStore(self.config.state_dir / "serve.sqlite3")
        self.journal = Journal()
        callbacks = (CallbackSender(self.config.callback_secret)
                     if self.config.callback_secret else None)
        self.runner = JobRunner(self.store, self.journal, concurrency=self.config.concurrency,
                                spec=self.config.spec, callbacks=callbacks)
        self.runner.recover()

    def close(self) -> None:
        """Stop the pool (running jobs stay resumable), close the store and the journal."""
        if self.runner is not None:
            self.runner.close()
        if self.store is not None:
            self.store.close()
        if self.journal is not None:
            self.journal.close()

    # ------------------------------------------------------------------ reading a request

    async def read_call(self, request: Request) -> Any:
        """The checked :class:`~.intake.CoverCall` of a JSON or multipart body."""
        from .intake import CoverCall, digest_of, prepare_request, song_reference, store_upload

        kind = request.headers.get("content-type", "")
        enabled = bool(self.config.callback_secret)
        if kind.startswith("multipart/form-data"):
            form = await request.form(max_files=2, max_fields=4,
                                      max_part_size=self.config.max_json_bytes)
            try:
                upload, raw = form.get("song"), form.get("request") or "{}"
                if upload is None or isinstance(upload, str):
                    raise SpecValidationError([_violation("song", "a file part is required")])
                if not isinstance(raw, str):  # the request sent as a file part
                    raw = await raw.read()
                arguments = _json_object(raw, "request")
                if "song" in arguments:
                    raise SpecValidationError([_violation(
                        "song", "give the song as the file part only, not in request")])
                # the parameters first: a bad request is refused before the song is stored
                prepare_request(arguments, "", self.config.spec, callbacks_enabled=enabled)
                data = await upload.read()
            finally:
                await form.close()
            path = await run_in_threadpool(store_upload, data, self.config.state_dir / "uploads")
            song, identity = str(path), path.stem
        else:
            body = await request.body()
            arguments = _json_object(body, "body")
            try:
                song = identity = song_reference(arguments.pop("song", None))
            except SpecValidationError as bad_song:  # report it with the parameters' problems
                try:
                    prepare_request(arguments, "", self.config.spec, callbacks_enabled=enabled)
                except SpecValidationError as bad:
                    raise SpecValidationError([*bad_song.violations, *bad.violations]) from None
                raise
        task, callback = prepare_request(arguments, song, self.config.spec,
                                         callbacks_enabled=enabled)
        return CoverCall(song=song, request=task, callback_url=callback,
                         digest=digest_of(identity, arguments))

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI document (built once)."""
        if self._openapi is None:
            from ... import __version__
            from .openapi import build_openapi

            self._openapi = build_openapi(self.config.spec, version=__version__)
        return self._openapi


def _violation(path: str, rule: str) -> Any:
    from ..errors import Violation

    return Violation(path, rule, has_value=False)


def _json_object(raw: Any, where: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (ValueError, TypeError) as exc:
        raise SpecValidationError([_violation(where, f"is not JSON ({exc})")]) from None
    if not isinstance(value, dict):
        raise SpecValidationError([_violation(where, "must be a JSON object")])
    return value


# ---------------------------------------------------------------------- handlers


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


async def create_cover(request: Request) -> Response:
    service = _service(request)
    key = request.headers.get("idempotency-key")
    if key is not None and not 0 < len(key) <= 255:
        return _error(422, "Idempotency-Key: 1-255 characters")
    call = await service.read_call(request)
    from .views import job_view

    job, created = await run_in_threadpool(
        service.store.create, idempotency_key=key, body_digest=call.digest,
        task_uuid=call.request["taskUUID"], song=call.song, request=call.request,
        output_root=str(service.config.state_dir / "covers"), callback_url=call.callback_url)
    if not created and job.body_digest != call.digest:
        return _error(422, "Idempotency-Key was used with a different request")
    if created:
        service.runner.start(job)
    return JSONResponse(job_view(job), status_code=202,
                        headers={"Location": f"/v1/covers/{job.id}"})


async def price_cover(request: Request) -> Response:
    from ..jobs.pipeline import cover
    from ..money.pricing import format_usd

    service = _service(request)
    call = await service.read_call(request)
    task = {k: v for k, v in call.request.items() if k != "taskUUID"}
    result = await run_in_threadpool(cover, call.song, task, spec=service.config.spec,
                                     dry_run=True, journal=False)
    count = CoverTask(service.config.spec, result.request).number_results
    return JSONResponse({"priceUsd": result.estimated_cost,
                         "price": format_usd(result.estimated_cost), "numberResults": count,
                         "priceSource": result.price_source, "sandbox": result.sandbox,
                         "dryRun": True})


async def get_cover(request: Request) -> Response:
    from .views import job_view

    job = await run_in_threadpool(_service(request).store.get, request.path_params["id"])
    if job is None:
        return _error(404, f"no job {request.path_params['id']}")
    return JSONResponse(job_view(job))


async def cancel_cover(request: Request) -> Response:
    from .views import job_view

    service = _service(request)
    job_id = request.path_params["id"]
    if await run_in_threadpool(service.store.get, job_id) is None:
        return _error(404, f"no job {job_id}")
    await run_in_threadpool(service.runner.cancel, job_id)
    return JSONResponse(job_view(await run_in_threadpool(service.store.get, job_id)),
                        status_code=202)


async def resume_cover(request: Request) -> Response:
    from .views import RESUMABLE, job_view

    service = _service(request)
    job_id = request.path_params["id"]
    job = await run_in_threadpool(service.store.get, job_id)
    if job is None:
        return _error(404, f"no job {job_id}")
    if not await run_in_threadpool(service.store.update, job_id, "queued",
                                   only_from=RESUMABLE):
        return _error(409, f"job {job_id} is {job.status}: only {', '.join(RESUMABLE)} jobs "
                      "are resumed")
    job = await run_in_threadpool(service.store.get, job_id)
    service.runner.start(job)
    return JSONResponse(job_view(job), status_code=202)


async def cover_file(request: Request) -> Response:
    from ..audio.formats import mime_type

    job = await run_in_threadpool(_service(request).store.get, request.path_params["id"])
    if job is None:
        return _error(404, f"no job {request.path_params['id']}")
    takes = [t for t in (job.summary or {}).get("takes", []) if t.get("path")]
    try:
        n = int(request.path_params["n"])
        take = takes[n - 1] if n >= 1 else None
    except (ValueError, IndexError):
        take = None
    if take is None or not Path(take["path"]).is_file():
        return _error(404, f"job {job.id} has {len(takes)} file(s); no file "
                      f"{request.path_params['n']}")
    path = Path(take["path"])
    return FileResponse(path, media_type=mime_type(take.get("format") or "MP3"),
                        filename=f"{job.id}_{n}{path.suffix}")


async def account(request: Request) -> Response:
    from ..runware.summary import account_summary

    try:
        return JSONResponse(await run_in_threadpool(account_summary))
    except MinimaxCoverError as exc:
        return _error(502, str(exc), type=type(exc).__name__)


async def spend(request: Request) -> Response:
    from ..money.receipts import spend_report

    since = request.query_params.get("since")
    try:
        report = await run_in_threadpool(spend_report, since)
    except UsageError as exc:
        return _error(422, str(exc), type=type(exc).__name__)
    return JSONResponse(report.to_dict())


async def openapi_json(request: Request) -> Response:
    return JSONResponse(_service(request).openapi())


async def docs(request: Request) -> Response:
    from .docs import docs_html

    return HTMLResponse(docs_html())


async def docs_script(request: Request) -> Response:
    from .docs import docs_js

    return Response(docs_js(), media_type="text/javascript")


# ---------------------------------------------------------------------- errors


async def _invalid(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SpecValidationError)
    return _error(422, str(exc), type=type(exc).__name__,
                  violations=flat_violations(exc, _service(request).config.spec))


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MinimaxCoverError)
    from ..errors import AudioError, SpendingRefusedError

    status = 422 if isinstance(exc, (AudioError, UsageError)) else (
        402 if isinstance(exc, SpendingRefusedError) else 502)
    violations = []
    if isinstance(exc, AudioError):
        violations = [{"field": "song", "path": "inputs.audio", "rule": str(exc),
                       "value": None, "message": str(exc)}]
    return _error(status, str(exc), type=type(exc).__name__, violations=violations)


async def _too_large(request: Request, exc: Exception) -> Response:
    return _error(413, str(exc))


def create_app(config: ServeConfig) -> Starlette:
    """The service as an ASGI app (run it with uvicorn; tests may use it in-process)."""
    from contextlib import asynccontextmanager

    from starlette.middleware import Middleware

    service = Service(config)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        await run_in_threadpool(service.open)
        try:
            yield
        finally:
            await run_in_threadpool(service.close)

    routes = [
        Route("/v1/covers", create_cover, methods=["POST"]),
        Route("/v1/covers:price", price_cover, methods=["POST"]),
        Route("/v1/covers/{id}", get_cover, methods=["GET"]),
        Route("/v1/covers/{id}", cancel_cover, methods=["DELETE"]),
        Route("/v1/covers/{id}/resume", resume_cover, methods=["POST"]),
        Route("/v1/covers/{id}/files/{n}", cover_file, methods=["GET"]),
        Route("/v1/account", account, methods=["GET"]),
        Route("/v1/spend", spend, methods=["GET"]),
        Route("/openapi.json", openapi_json, methods=["GET"]),
        Route("/docs", docs, methods=["GET"]),
        Route("/docs/docs.js", docs_script, methods=["GET"]),
    ]
    middleware = [Middleware(Guard, config=config)]
    if config.cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        middleware.insert(0, Middleware(CORSMiddleware, allow_origins=config.cors_origins,
                                        allow_methods=["GET", "POST", "DELETE"],
                                        allow_headers=["Authorization", "Content-Type",
                                                       "Idempotency-Key"]))
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={SpecValidationError: _invalid,
                                        MinimaxCoverError: _refused,
                                        BodyTooLarge: _too_large})
    app.state.service = service
    return app
