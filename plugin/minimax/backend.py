"""Built-in plugin: the MiniMax platform backend (the two-step cover, straight to MiniMax).

``minimax`` runs the Runware-shaped request against MiniMax's own API with ``MINIMAX_API_KEY``
(``MINIMAX_API_URL`` overrides the host). With no key and no URL it starts
:class:`~..sandbox.minimax_server.MiniMaxSandbox` in-process and says so.

Mapping of the request (the pipeline validated it against the cover spec):

- ``positivePrompt`` -> ``prompt``; ``settings.lyrics`` -> ``lyrics`` (else the lyrics of the
  handle this backend preprocessed, if any); ``seed`` -> ``seed`` (result *i* uses seed + i).
- ``inputs.audio``: a UUID-form string is a preprocess handle -> ``cover_feature_id``; an
  http(s) URL -> ``audio_url`` (one-step cover).
- ``numberResults`` -> that many sequential generation calls.
- ``outputFormat``: MP3 and WAV are produced by MiniMax (``audio_setting.format``). FLAC and OGG
  are not: MiniMax is asked for WAV and the file is converted locally (lossless for FLAC), so
  every spec format works; such results come back inline (base64) even for ``outputType=URL``.
- ``audioSettings`` (MP3 only on MiniMax): ``sampleRate`` must be 16000/24000/32000/44100,
  ``bitrate`` 32/64/128/256 kbps, ``channels`` 1|2; other values are refused with
  :class:`InvalidParameterError` naming the field, before anything is sent. For OGG they are
  applied locally.
- ``outputType``: ``URL`` asks MiniMax for a URL (valid 24 hours); ``base64Data``/``dataURI``
  ask for hex and return the bytes inline.

MiniMax's generation is synchronous and has no task id: :meth:`MiniMaxBackend.resume` cannot
collect a job whose answer was lost (it raises :class:`OutcomeUnknownError`).
"""

from __future__ import annotations

import base64
import logging
import os
import random
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..audio.formats import extension, mime_type
from ..constants import MINIMAX_API_KEY_ENV, MINIMAX_API_URL_ENV
from ..errors import (
    APIError,
    Interrupted,
    InvalidParameterError,
    OutcomeUnknownError,
    TaskFailedError,
)
from ..hooks.specs import hookimpl
from ..spec.lyrics import cover_lyrics
from ..spec.model import MINIMAX_MUSIC_COVER
from ..spec.predicates import is_url

if TYPE_CHECKING:
    from ..errors import MinimaxCoverError
    from ..hooks.types import JobContext
    from ..results import GenerationResult, ProgressEvent, TaskResult, Ticket
    from ..sandbox.minimax_server import MiniMaxSandbox
    from .client import MiniMaxClient
    from .handle import CoverHandle

log = logging.getLogger("minimax_cover.minimax")

SANDBOX_NOTICE = (
    "No MINIMAX_API_KEY set: running against the local MiniMax SANDBOX (synthetic audio, no "
    "cost). Set MINIMAX_API_KEY to use MiniMax's API."
)
_NATIVE = ("MP3", "WAV")  # formats MiniMax returns itself; others are converted locally
_RATES = (16000, 24000, 32000, 44100)
_BITRATES_KBPS = (32, 64, 128, 256)
_MAX_SEED = int(MINIMAX_MUSIC_COVER.field("seed").maximum or 0)


class MiniMaxBackend:
    """Runs cover requests on MiniMax's platform API (see the module docstring).

    :param api_key: MiniMax key (default ``MINIMAX_API_KEY``).
    :param base_url: API host (default ``MINIMAX_API_URL``, then ``https://api.minimax.io``).
    :param offline: force (True) or forbid (False) the in-process sandbox; default: sandbox
        when neither a key nor a URL is configured (the opener starts it, see
        :meth:`needs_sandbox`, and passes it as ``sandbox``).
    :param client: a ready :class:`MiniMaxClient` (then key/URL are ignored).
    :param sandbox: a started :class:`MiniMaxSandbox` to talk to (stopped when closed).
    :param sandbox_options: keyword arguments for :class:`MiniMaxSandbox` (for the opener).
    :param client_options: further :class:`MiniMaxClient` arguments (``model``, timeouts...).
    """

    name = "minimax"

    @staticmethod
    def needs_sandbox(*, api_key: str | None = None, base_url: str | None = None,
                      offline: bool | None = None, client: Any = None, **_: Any) -> bool:
        """True when these options mean the local MiniMax sandbox (``offline=True``, or no
        client, key or URL configured): the opener starts it and passes it in."""
        if client is not None:
            return False
        if offline is not None:
            return bool(offline)
        return not (api_key or os.environ.get(MINIMAX_API_KEY_ENV)
                    or base_url or os.environ.get(MINIMAX_API_URL_ENV))

    @staticmethod
    def start_sandbox(options: dict[str, Any] | None = None) -> MiniMaxSandbox:
        """Start the local MiniMax sandbox this backend speaks to offline."""
        from ..paths import user_data_dir
        from ..sandbox.minimax_server import MiniMaxSandbox

        sandbox = MiniMaxSandbox(**{"state_dir": user_data_dir() / "minimax-sandbox",
                                    "banner": False, **(options or {})}).start()
        log.warning("%s", SANDBOX_NOTICE)
        return sandbox

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        offline: bool | None = None,
        client: MiniMaxClient | None = None,
        sandbox: MiniMaxSandbox | None = None,
        sandbox_options: dict[str, Any] | None = None,
        **client_options: Any,
    ) -> None:
        from ..errors import MissingAPIKeyError
        from .client import MiniMaxClient

        self._sandbox: MiniMaxSandbox | None = sandbox
        self._handles: dict[str, CoverHandle] = {}
        #: What the last :meth:`preprocess` did, for users ("reused handle from 09:14, ...").
        self.last_note: str | None = None
        #: The handle made again when MiniMax no longer knew the one given (:meth:`_renew`).
        self.renewed: CoverHandle | None = None
        if client is not None:
            self.client = client
        elif sandbox is not None:
            self.client = MiniMaxClient(api_key=sandbox.api_key, base_url=sandbox.url,
                                        **client_options)
        elif self.needs_sandbox(api_key=api_key, base_url=base_url, offline=offline):
            raise MissingAPIKeyError(
                "minimax: no MINIMAX_API_KEY or MINIMAX_API_URL and no sandbox given; open the "
                "backend with the registry (get_registry().backend('minimax')), which starts "
                "the local MiniMax sandbox")
        else:
            self.client = MiniMaxClient(api_key=api_key, base_url=base_url, **client_options)
        self.endpoint = self.client.base_url

    @property
    def sandbox(self) -> bool:
        """True for the built-in sandbox: started here, or identified by its ``X-Sandbox``
        answers. A keyed endpoint on loopback (a proxy, a gateway) is not a sandbox."""
        return self._sandbox is not None or bool(getattr(self.client, "sandbox", False))

    @property
    def label(self) -> str:
        """What users read: the endpoint, and SANDBOX when it is the built-in sandbox."""
        if self.sandbox:
            return f"MiniMax SANDBOX at {self.endpoint} (synthetic audio, not MiniMax)"
        return f"MiniMax ({self.endpoint})"

    # ------------------------------------------------------------------ step 1

    def preprocess(self, data: bytes | None = None, *, audio_url: str | None = None,
                   song_path: str | None = None, fresh: bool = False) -> CoverHandle:
        """Preprocess a song (step 1) and remember its handle for :meth:`run`.

        A song given as bytes is looked up in the preprocess cache first (:mod:`.cache`): a
        live handle is reused (:attr:`last_note` says so) unless ``fresh``; a new one is
        cached with the song's ``song_path`` and content hash.
        """
        from dataclasses import replace

        from .cache import (
            PreprocessCache,
            cache_key,
            content_hash,
            describe_reuse,
            refresh_margin_s,
            stamped,
        )

        self.last_note = None
        key = song_hash = None
        cache = PreprocessCache()
        # the built-in sandbox listens on a new port each run but keeps its songs (state_dir)
        where = "minimax-sandbox" if self.sandbox else self.endpoint
        if data is not None:
            song_hash = content_hash(data)
            key = cache_key(song_hash, self.client.model, where,
                            getattr(self.client, "key_fingerprint", ""))
            cached = None if fresh else cache.lookup(key, margin_s=refresh_margin_s())
            if cached is not None:
                if song_path and song_path != cached.song_path:  # where the song is now
                    cached = stamped(cached, song_path=song_path, song_hash=song_hash)
                    cache.store(key, cached, endpoint=where, model=self.client.model)
                self.last_note = describe_reuse(cached)
                self._handles[cached.feature_id.lower()] = cached
                return cached
        handle = self.client.preprocess(data, audio_url=audio_url)
        handle = stamped(handle, song_path=song_path, song_hash=song_hash)
        if self.sandbox and not handle.sandbox:
            handle = replace(handle, sandbox=True)
        if key is not None:
            cache.store(key, handle, endpoint=where, model=self.client.model)
        self._handles[handle.feature_id.lower()] = handle
        return handle

    def upload_audio(self, data: bytes, *, mime: str | None = None) -> str:
        """Staging is step 1: preprocess ``data`` (or reuse its cached handle); returns the
        handle's ``inputs.audio`` form."""
        handle = self.preprocess(data)
        if self.last_note:
            log.info("MiniMax: %s", self.last_note)
        return handle.audio_input

    # ------------------------------------------------------------------ step 2

    def _audio_setting(self, request: dict[str, Any], fmt: str) -> dict[str, Any]:
        setting: dict[str, Any] = {"format": extension(fmt if fmt in _NATIVE else "WAV")}
        given = request.get("audioSettings") or {}
        if fmt != "MP3" or not given:
            return setting
        rate, kbps, channels = (given.get("sampleRate"), given.get("bitrate"),
                                given.get("channels"))
        if rate is not None and rate not in _RATES:
            raise InvalidParameterError(
                f"audioSettings.sampleRate: MiniMax supports {', '.join(map(str, _RATES))} Hz "
                f"(got {rate})", parameter="audioSettings.sampleRate")
        if kbps is not None and kbps not in _BITRATES_KBPS:
            raise InvalidParameterError(
                f"audioSettings.bitrate: MiniMax supports "
                f"{', '.join(map(str, _BITRATES_KBPS))} kbps (got {kbps})",
                parameter="audioSettings.bitrate")
        if rate is not None:
            setting["sample_rate"] = int(rate)
        if kbps is not None:
            setting["bitrate"] = int(kbps) * 1000
        if channels is not None:
            setting["channel"] = int(channels)
        return setting

    def _source(self, audio: str) -> tuple[dict[str, str], CoverHandle | None]:
        from .handle import feature_id_from_input

        if is_url(audio):
            return {"audio_url": audio}, None
        fid = feature_id_from_input(audio)
        handle = self._handles.get(fid)
        if handle is None:
            from .cache import known_handle

            handle = known_handle(fid)  # a handle file, a node's socket, the cache
        return {"cover_feature_id": fid}, handle

    def run(
        self,
        request: dict[str, Any],
        *,
        on_progress: Callable[[ProgressEvent], None] | None = None,
        should_cancel: Callable[[], bool] | None = None,
        on_result: Callable[[GenerationResult], None] | None = None,
        expected_s: float | None = None,
    ) -> TaskResult:
        """Thin wrapper for third-party callers (the pipeline uses :meth:`submit` and
        :meth:`collect`): run ``numberResults`` generations one after another (each sent
        once); ``expected_s`` (a pace hint for polling backends) is not needed here."""
        return self._generate_all(request, on_progress=on_progress,
                                  should_cancel=should_cancel, on_result=on_result)

    def _generate_all(
        self,
        request: dict[str, Any],
        *,
        on_progress: Callable[[ProgressEvent], None] | None = None,
        should_cancel: Callable[[], bool] | None = None,
        on_result: Callable[[GenerationResult], None] | None = None,
    ) -> TaskResult:
        """Every generation of ``request``, one after another, each sent once; ``should_cancel``
        checked before each, each paid result handed to ``on_result`` as it arrives."""
        from ..results import ProgressEvent, TaskResult

        task_uuid = str(request.get("taskUUID") or uuid.uuid4())
        fmt = str(MINIMAX_MUSIC_COVER.value(request, "outputFormat")).upper()
        output_type = str(MINIMAX_MUSIC_COVER.value(request, "outputType"))
        total = int(MINIMAX_MUSIC_COVER.value(request, "numberResults"))
        setting = self._audio_setting(request, fmt)  # refuses before anything is sent
        source, handle = self._source(str((request.get("inputs") or {}).get("audio", "")))
        lyrics = cover_lyrics(request, handle)  # the user's, else what step 1 heard
        base_seed = request.get("seed")
        if base_seed is None:
            base_seed = random.randint(0, _MAX_SEED - total)  # noqa: S311 - not a secret
        use_url = output_type == "URL" and fmt in _NATIVE
        started = time.monotonic()
        results: list[GenerationResult] = []

        def emit(phase: str) -> None:
            if on_progress is not None:
                on_progress(ProgressEvent(task_uuid, phase, len(results), total,
                                          time.monotonic() - started))

        emit("submitting")
        for i in range(total):
            if should_cancel is not None and should_cancel():
                raise Interrupted(f"interrupted after {i} of {total} MiniMax generation(s)",
                                  task_uuid=task_uuid)
            seed = (int(base_seed) + i) % (_MAX_SEED + 1)
            emit("processing")
            try:
                payload, extra, source = self._generate(
                    source, handle, str(request["positivePrompt"]), lyrics,
                    audio_setting=setting, output_format="url" if use_url else "hex",
                    seed=seed, should_cancel=should_cancel)
            except (OutcomeUnknownError, Interrupted):
                raise
            except APIError as exc:
                if not results:
                    exc.task_uuid = exc.task_uuid or task_uuid
                    raise
                raise TaskFailedError(
                    f"MiniMax generation {i + 1} of {total} failed: {exc}; {len(results)} "
                    "generation(s) succeeded and were kept", task_uuid=task_uuid,
                    code=getattr(exc, "code", None), provider_message=str(exc),
                    partial_results=results) from exc
            result = self._result(task_uuid, i, seed, payload, extra, fmt, output_type,
                                  request.get("audioSettings"))
            results.append(result)
            if on_result is not None:
                on_result(result)
            emit("result")
        emit("done")
        return TaskResult.from_results(task_uuid, results)

    def submit(
        self,
        task: dict[str, Any],
        *,
        should_cancel: Callable[[], bool] | None = None,
        expected_s: float | None = None,
        on_progress: Callable[[ProgressEvent], None] | None = None,
        on_result: Callable[[GenerationResult], None] | None = None,
    ) -> Ticket:
        """Run every generation now (MiniMax answers synchronously); the ticket carries them.

        The work is done here, not in :meth:`collect`, because a MiniMax generation is a paid
        call with no task id to look it up by: ``collect`` never spends (a resumed job's
        ticket, :meth:`ticket_for`, ends in :class:`OutcomeUnknownError`, never a second paid
        call), and a refusal of the first generation reaches the caller here, where a failover
        backend may still move the job to the next provider. ``should_cancel`` is checked
        before each generation (a Ctrl-C before the first sends nothing), ``on_progress``
        reports each one and ``on_result`` gets each paid result as it arrives, so a later
        interruption or failure never drops it. ``expected_s`` is not needed (no polling).

        :raises TaskFailedError: a later generation failed (``partial_results`` keeps the paid
            ones); other errors as :meth:`run`.
        """
        from ..results import Ticket

        sent_at, started = time.time(), time.monotonic()
        outcome = self._generate_all(task, on_progress=on_progress,
                                     should_cancel=should_cancel, on_result=on_result)
        return Ticket(task_uuid=outcome.task_uuid, backend=self.name, endpoint=self.endpoint,
                      number_results=len(outcome.results), submitted_at=sent_at,
                      results=tuple(outcome.results), complete=True, started=started,
                      expected_s=time.monotonic() - started)

    def collect(
        self,
        tickets: Sequence[Ticket],
        *,
        on_progress: Callable[[ProgressEvent], None] | None = None,
        should_cancel: Callable[[], bool] | None = None,
        on_result: Callable[[GenerationResult], None] | None = None,
    ) -> dict[str, TaskResult | MinimaxCoverError]:
        """Hand over what each ticket carries (MiniMax has no polling: a ticket without its
        results cannot be collected and ends in :class:`OutcomeUnknownError`)."""
        from ..results import ProgressEvent, TaskResult

        out: dict[str, TaskResult | MinimaxCoverError] = {}
        for ticket in tickets:
            if should_cancel is not None and should_cancel():
                raise Interrupted(f"interrupted before task {ticket.task_uuid} was handed over",
                                  task_uuid=ticket.task_uuid)
            if not ticket.complete:
                out[ticket.task_uuid] = self._lost(ticket.task_uuid)
                continue
            for result in ticket.results:
                if on_result is not None:
                    on_result(result)
            if on_progress is not None:
                n = len(ticket.results)
                on_progress(ProgressEvent(ticket.task_uuid, "done", n, n, 0.0, 1.0))
            out[ticket.task_uuid] = TaskResult.from_results(ticket.task_uuid, ticket.results)
        return out

    def ticket_for(self, request: dict[str, Any], *, expected_s: float | None = None,
                   submitted_at: float | None = None) -> Ticket:
        """The ticket of a job sent earlier: MiniMax cannot look it up, so collecting it ends
        in :class:`OutcomeUnknownError` (never a second paid call)."""
        from ..results import Ticket

        return Ticket(task_uuid=str(request.get("taskUUID") or ""), backend=self.name,
                      endpoint=self.endpoint,
                      number_results=int(MINIMAX_MUSIC_COVER.value(request, "numberResults")),
                      submitted_at=float(submitted_at or time.time()), expected_s=expected_s,
                      accepted=False)

    def _generate(self, source: dict[str, str], handle: CoverHandle | None, prompt: str,
                  lyrics: str | None, **options: Any
                  ) -> tuple[bytes | str, dict[str, Any], dict[str, str]]:
        """One generation; an expired or unknown handle is made again from its song when it
        is at hand and the (refused, unpaid) generation sent once more (:mod:`.renewal`).

        :returns: ``(payload, extra_info, source)``, ``source`` the one that worked.
        """
        from .renewal import HandleExpiredError, expired_message, is_unknown_handle, renewable_song

        fid = source.get("cover_feature_id")
        if self.renewed is not None and self.renewed.feature_id.lower() == fid:
            handle = self.renewed  # made again for an earlier result of this job
        if fid is not None and handle is not None and handle.expired:
            source = self._renew(fid, handle)  # known dead: do not send it at all
        try:
            payload, extra = self.client.generate(prompt, lyrics, **options, **source)
            return payload, extra, source
        except InvalidParameterError as exc:
            fid = source.get("cover_feature_id")
            if fid is None or not is_unknown_handle(exc):
                raise
            if renewable_song(handle) is None:
                raise HandleExpiredError(expired_message(fid, handle), status_code=2013,
                                         code="2013", parameter="cover_feature_id") from exc
            source = self._renew(fid, handle)
        payload, extra = self.client.generate(prompt, lyrics, **options, **source)
        return payload, extra, source

    def _renew(self, feature_id: str, handle: CoverHandle | None) -> dict[str, str]:
        """Preprocess the handle's song again (fresh); raises when it is not at hand."""
        from .renewal import HandleExpiredError, expired_message, renewable_song

        song = renewable_song(handle)
        if song is None:
            raise HandleExpiredError(expired_message(feature_id, handle),
                                     parameter="cover_feature_id")
        data, path = song
        fresh = self.preprocess(data, song_path=path)  # a newer cached handle will do
        if fresh.feature_id.lower() == feature_id.lower():
            fresh = self.preprocess(data, song_path=path, fresh=True)
        log.warning("MiniMax no longer knows handle %s: preprocessed %s again (handle %s); "
                    "the refused generation was not charged", feature_id, path,
                    fresh.feature_id)
        self.renewed = fresh
        self.last_note = (f"MiniMax no longer knew handle {feature_id}: {path} was preprocessed "
                          f"again (handle {fresh.feature_id}; the refused request was not "
                          "charged)")
        return {"cover_feature_id": fresh.feature_id.lower()}

    @property
    def price_per_result_usd(self) -> float | None:
        """The configured price of one cover on MiniMax (:mod:`..money.providers`)."""
        from ..money.providers import provider_price

        return provider_price(self.name).cover_usd

    @property
    def price_source(self) -> str:
        """Where :meth:`price` comes from, as quotes and receipts say it."""
        from ..money.providers import provider_price

        estimate = " (estimate: MiniMax publishes no price)" if provider_price(
            self.name).estimate else ""
        return f"MiniMax price setting{estimate}"

    def price(self, request: dict[str, Any]) -> float | None:
        """The request's price from the provider price table (MiniMax publishes none: a
        configured estimate, :mod:`..money.providers`); nothing is sent."""
        from ..money.providers import provider_price

        count = int(MINIMAX_MUSIC_COVER.value(request, "numberResults"))
        return provider_price(self.name).cover_price(count)

    def _result(self, task_uuid: str, index: int, seed: int, payload: bytes | str,
                extra: dict[str, Any], fmt: str, output_type: str,
                settings: dict[str, Any] | None) -> GenerationResult:
        from ..results import GenerationResult

        url = data_uri = b64 = None
        if isinstance(payload, str):
            url = payload
        else:
            data = payload if fmt in _NATIVE else _convert(payload, fmt, settings)
            b64 = base64.b64encode(data).decode("ascii")
            if output_type == "dataURI":
                data_uri, b64 = f"data:{mime_type(fmt)};base64,{b64}", None
        raw = {"taskType": "audioInference", "taskUUID": task_uuid, "seed": seed,
               "resultIndex": index, "extra_info": extra, "sandbox": self.sandbox,
               "backend": self.name, "preprocess_note": self.last_note}
        return GenerationResult(
            task_uuid=task_uuid, audio_uuid=str(uuid.uuid4()), seed=seed, cost=None, url=url,
            data_uri=data_uri, base64_data=b64, status="success", raw=raw, result_index=index)

    def resume(self, request: dict[str, Any], **callbacks: Any) -> TaskResult:
        """Thin wrapper for third-party callers; always raises: MiniMax has no task id or
        polling to collect a lost answer."""
        raise self._lost(request.get("taskUUID"))

    @staticmethod
    def _lost(task_uuid: str | None) -> OutcomeUnknownError:
        return OutcomeUnknownError(
            "MiniMax has no task polling: a generation whose answer was lost cannot be "
            "collected; check your MiniMax usage page before running it again",
            task_uuid=task_uuid)

    def fetch(self, result: GenerationResult, dest: Path, *, expected_format: str) -> Path:
        """Download (URL) or decode (inline) one result to ``dest``, content-checked."""
        from ..transport.download import fetch_result

        return fetch_result(result, Path(dest), expected_format=expected_format,
                            session=self.client.session)

    def close(self) -> None:
        """Close the HTTP session and stop the in-process sandbox, if any."""
        self.client.close()
        if self._sandbox is not None:
            self._sandbox.stop()
            self._sandbox = None


def _convert(wav: bytes, fmt: str, settings: dict[str, Any] | None) -> bytes:
    """Re-encode MiniMax's WAV as FLAC or OGG (applying OGG ``audioSettings`` locally)."""
    from ..audio import encode_audio, read_audio, resample_linear, to_channels

    audio = read_audio(wav)
    if fmt == "OGG" and settings:
        if settings.get("sampleRate"):
            audio = resample_linear(audio, int(settings["sampleRate"]))
        if settings.get("channels"):
            audio = to_channels(audio if audio.channels == 1 else to_channels(audio, 1),
                                int(settings["channels"]))
    return encode_audio(audio, fmt)


@hookimpl
def register_backends(register: Callable[[str, Callable[..., Any]], None]) -> None:
    """Register ``minimax``."""
    register("minimax", MiniMaxBackend)


@hookimpl
def choose_backend(request: dict[str, Any], context: JobContext) -> str | None:
    """``"minimax"`` when the job carries ``backend_hint="minimax"`` (a preprocess handle)."""
    return "minimax" if context.extra.get("backend_hint") == "minimax" else None
