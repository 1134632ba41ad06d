"""The cover node, generated per model: :func:`make_cover_node` turns a ModelSpec into a node class.

:func:`cover_definition` is the node's neutral definition (inputs from the spec's JSON Schema via
:mod:`.widgets`, the preprocess socket, five outputs); the V1 class attributes and the V3 schema
are both built from it (:mod:`.definition`, :mod:`.v3`). The run calls
:func:`~..plugin.pipeline.cover` and returns the takes as one ComfyUI AUDIO batch. Decisions:

- **Batch in.** The node covers one song per run: an AUDIO batch of more than one clip is an
  error naming the batch size (each clip is a paid job; split the batch upstream on purpose).
- **Caching.** ``IS_CHANGED`` hashes the widget values (never NaN), so identical inputs with a
  fixed seed reuse ComfyUI's cached output instead of paying twice; past ComfyUI's cache (other
  workflows, a restart) the journal serves the saved takes at no cost (``reused``), unless the
  ``again`` toggle is on.
- **Validation.** ``VALIDATE_INPUTS`` takes ``**kwargs``, so ComfyUI skips its own range and
  combo checks: it repeats them (:func:`.widgets.check_widget_values`) and then validates the
  request against the spec. Linked inputs arrive as ``None`` and are not checked there.
- **No key input.** The API key comes from ``RUNWARE_API_KEY`` or the config file; without one
  the backend runs the local sandbox and the node says so.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..plugin.errors import Interrupted, SpecValidationError, Violation
from . import widgets as W
from .definition import DefinedNode, InputDef, NodeDef, OutputDef, PriceDef
from .folders import temp_directory
from .host import make_reporter

if TYPE_CHECKING:
    from ..plugin.spec.model import ModelSpec

__all__ = [
    "BUILTIN_NODE_IDS",
    "COVER_CATEGORY",
    "PREPROCESS_TYPE",
    "NodeInputError",
    "cover_definition",
    "make_cover_node",
    "node_id_for",
]

COVER_CATEGORY = "audio/MiniMax Cover"
#: Socket type of a two-step preprocess handle (:class:`~..plugin.twostep.CoverHandle`).
PREPROCESS_TYPE = "MINIMAX_COVER_PREPROCESS"
#: Stable node ids of built-in models (ids never change; display names may).
BUILTIN_NODE_IDS = {"minimax:music@cover": "MiniMaxMusicCover"}
#: Longest string kept per value in ``response_json`` (inline base64 audio is elided).
_RESPONSE_VALUE_LIMIT = 512
#: Subfolder of the temp folder the takes are downloaded to.
TAKES_SUBFOLDER = "minimax-cover"
#: The cover node's outputs.
COVER_OUTPUTS = (
    OutputDef("AUDIO", "audio",
              "The takes (numberResults), zero-padded to one length as one batch [B, C, T]."),
    OutputDef("INT", "seed", "Seed of the first take."),
    OutputDef("FLOAT", "cost", "Total cost in USD (0.0 when the API did not report it)."),
    OutputDef("STRING", "request_json", "The request sent (no API key)."),
    OutputDef("STRING", "response_json", "The raw result items (inline audio elided)."),
)
AGAIN_INPUT = InputDef(
    "again", "BOOLEAN", optional=True, default=False,
    tooltip="Pay for a fresh run even when the same song, parameters and seed were saved "
            "before (off: those takes are reused from the journal at no cost, across runs and "
            "restarts).")
PREPROCESS_INPUT = InputDef(
    "preprocess", PREPROCESS_TYPE, optional=True,
    tooltip="A two-step preprocess handle; replaces the audio input. A non-empty lyrics widget "
            "overrides the lyrics it found.")


class NodeInputError(SpecValidationError):
    """A widget value broke a rule; the one-line message names every parameter at fault."""

    def __init__(self, violations: list[Violation], node: str) -> None:
        super().__init__(violations)
        problems = "; ".join(str(v) for v in self.violations)
        self.args = (f"{node}: {problems}",)

    def __str__(self) -> str:
        return str(self.args[0])


def node_id_for(spec: ModelSpec) -> str:
    """The node id of ``spec``'s cover node: a built-in id, else ``MiniMaxCover_<slug>``."""
    if spec.model_id in BUILTIN_NODE_IDS:
        return BUILTIN_NODE_IDS[spec.model_id]
    slug = re.sub(r"[^0-9A-Za-z]+", "_", spec.slug or spec.model_id).strip("_")
    return f"MiniMaxCover_{slug}"


def _output_dir() -> Path:
    """Where takes are downloaded: a subfolder of the temp folder (ComfyUI's, the run's, or
    ``<system temp>/minimax-cover``; :func:`~.folders.temp_directory`)."""
    out = temp_directory() / TAKES_SUBFOLDER
    out.mkdir(parents=True, exist_ok=True)
    return out


def cover_definition(spec: ModelSpec, node_id: str | None = None) -> NodeDef:
    """The cover node of ``spec`` as a neutral definition (V1 and V3 are built from it).

    Not a Comfy.org API node (``is_api_node`` False): it calls Runware with the user's own key,
    and ComfyUI's frontend asks for a Comfy.org sign-in before running a graph that holds one.
    """
    widgets = W.input_defs(spec)
    required = tuple(i for i in widgets if not i.optional)
    optional = tuple(i for i in widgets if i.optional)
    price = None
    if spec.price_per_result_usd is not None:
        per = "numberResults" if any(i.name == "numberResults" for i in widgets) else None
        price = PriceDef(spec.price_per_result_usd, per)
    return NodeDef(
        node_id or node_id_for(spec), f"{spec.name} (Runware)", COVER_CATEGORY,
        description=(
            f"{spec.description} Runs {spec.model_id} on Runware (RUNWARE_API_KEY or the config "
            "file; without a key: the local sandbox, synthetic audio). Returns every take as "
            "one AUDIO batch, the first take's seed, the total cost and the request/response "
            "as JSON."),
        inputs=(*required, PREPROCESS_INPUT, *optional, AGAIN_INPUT), outputs=COVER_OUTPUTS,
        hidden={"unique_id": "UNIQUE_ID"}, is_output_node=False, is_api_node=False,
        price=price)


def price_text(spec: ModelSpec, values: dict[str, Any], *, preprocess: Any = None
               ) -> str | None:
    """The ``Price:`` line shown before the node submits, by who is paid (see
    :func:`.pricing.price_line`): Runware's price for the widget values, MiniMax's bill for
    a two-step cover, none for a SANDBOX run; None when the model has no price."""
    from .pricing import payee, price_line

    two_step = preprocess is not None
    who = payee(two_step, sandbox=bool(getattr(preprocess, "sandbox", False)) if two_step
                else None)
    return price_line(cover_definition(spec).price, values, who)


def _elide(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _elide(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_elide(v) for v in value]
    if isinstance(value, str) and len(value) > _RESPONSE_VALUE_LIMIT:
        return f"<{len(value)} characters elided>"
    return value


def _dumps(value: Any) -> str:
    from ..plugin.redaction import redact

    return redact(json.dumps(_elide(value), ensure_ascii=False, default=str))


def _widget_values(spec: ModelSpec, kwargs: dict[str, Any]) -> dict[str, Any]:
    names = {w.name for w in W.widgets_for(spec) if w.is_widget}
    return {k: v for k, v in kwargs.items() if k in names}


def _to_violations(spec: ModelSpec, exc: SpecValidationError) -> list[Violation]:
    """Violations renamed from JSON paths to widget names (``settings.lyrics`` -> ``lyrics``)."""
    by_path = {w.dotted: w.name for w in W.widgets_for(spec)}
    out = []
    for v in exc.violations:
        name = by_path.get(v.path, v.path)
        out.append(Violation(name, v.rule, v.value, v.has_value, v.got))
    return out


def check_inputs(spec: ModelSpec, kwargs: dict[str, Any]) -> list[Violation]:
    """Every problem with the constant widget values (linked values, ``None``, are skipped)."""
    from ..plugin.spec.validation import validate_params

    values = _widget_values(spec, kwargs)
    problems = W.check_widget_values(spec, values)
    if problems:
        return [Violation(p.split(":", 1)[0], p.split(":", 1)[1].strip(), has_value=False)
                for p in problems]
    request = W.widgets_to_request(spec, values)
    try:
        validate_params(request, spec)  # the pipeline's own check, before the song is staged
    except SpecValidationError as exc:
        linked = {name for name, value in values.items() if value is None}
        return [v for v in _to_violations(spec, exc) if v.path not in linked]
    return []


def _fingerprint(spec: ModelSpec, kwargs: dict[str, Any]) -> str:
    values = {k: v for k, v in sorted(_widget_values(spec, kwargs).items()) if v is not None}
    if kwargs.get("again"):  # a fresh paid run each time the toggle is on
        import secrets

        values["again"] = secrets.token_hex(8)
    blob = json.dumps({"model": spec.model_id, "values": values}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def make_cover_node(spec: ModelSpec, *, node_id: str | None = None) -> type:
    """A ComfyUI node class running cover jobs for ``spec``.

    Its V1 attributes (``INPUT_TYPES``, ``RETURN_TYPES``, ``CATEGORY``, ...) come from
    :func:`cover_definition`; it adds ``FUNCTION``, ``VALIDATE_INPUTS`` and ``IS_CHANGED``.
    ``NODE_ID``, ``DISPLAY_NAME`` and ``SPEC`` tell hosts what it is.

    :param spec: the model whose widgets and request rules the node uses.
    :param node_id: overrides :func:`node_id_for` (keep ids stable once published).
    """
    definition = cover_definition(spec, node_id)
    nid = definition.node_id

    class CoverNode(DefinedNode):
        NODE_ID = nid
        DISPLAY_NAME = definition.display_name
        SPEC = spec
        FUNCTION = "run"

        @classmethod
        def node_definition(cls) -> NodeDef:
            return cover_definition(cls.SPEC, cls.NODE_ID)

        @classmethod
        def VALIDATE_INPUTS(cls, **kwargs: Any) -> bool | str:  # noqa: N802
            problems = check_inputs(cls.SPEC, kwargs)
            if not problems:
                return True
            return "; ".join(str(v) for v in problems)

        @classmethod
        def IS_CHANGED(cls, **kwargs: Any) -> str:  # noqa: N802
            return _fingerprint(cls.SPEC, kwargs)

        def run(self, audio: Any = None, preprocess: Any = None, unique_id: Any = None,
                **kwargs: Any) -> tuple[Any, ...]:
            """Validate, submit one cover job, wait, and return the takes."""
            return _run_cover(type(self).SPEC, type(self).NODE_ID, audio=audio,
                              preprocess=preprocess, unique_id=unique_id, values=kwargs)

    CoverNode.__name__ = CoverNode.__qualname__ = nid
    CoverNode.__doc__ = f"ComfyUI node {nid}: {spec.name} ({spec.model_id})."
    return CoverNode


def _source(audio: Any, preprocess: Any, node: str) -> Any:
    if preprocess is not None:
        return preprocess
    if audio is None:
        raise NodeInputError(
            [Violation("audio", "connect an AUDIO input or a preprocess handle", has_value=False)],
            node)
    from .audio_bridge import from_comfy_audio

    clips = from_comfy_audio(audio)
    if len(clips) != 1:
        raise NodeInputError(
            [Violation("audio", "one clip per run: this node covers a single song (split the "
                       "batch upstream; each clip is a paid job)", len(clips),
                       got=f"a batch of {len(clips)}")], node)
    return clips[0]


def node_job(spec: ModelSpec, node: str, *, audio: Any, preprocess: Any,
             values: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The song and the request of a cover node's inputs, checked (nothing sent).

    :raises NodeInputError: a widget value broke a rule, or no song is connected.
    """
    from ..plugin.spec.lyrics import with_cover_lyrics

    problems = check_inputs(spec, values)
    if problems:
        raise NodeInputError(problems, node)
    request = W.widgets_to_request(spec, _widget_values(spec, values))
    if preprocess is not None:  # the lyrics step 1 heard, unless the widget has some
        request = with_cover_lyrics(request, preprocess, spec)
    return _source(audio, preprocess, node), request


def takes_of(results: list[Any], spec: ModelSpec, node: str) -> list[Any]:
    """Every take of ``results`` as :class:`Audio`, in order (read back when not decoded)."""
    takes = []
    for result in results:
        found = 0
        for out in result.outputs:
            if out.audio is None and out.path is not None:
                from ..plugin.audio import read_audio

                out.audio = read_audio(out.path)
            if out.audio is not None:
                takes.append(out.audio)
                found += 1
        if not found:
            from ..plugin.errors import MinimaxCoverError

            raise MinimaxCoverError(f"{node}: task {result.task_uuid} returned no audio")
    return takes


def first_seed(result: Any, spec: ModelSpec) -> int:
    """The first take's seed (else the request's; 0 when neither is known)."""
    from ..plugin.spec.task import CoverTask

    seed = next((o.seed for o in result.outputs if o.seed is not None), None)
    return int(seed if seed is not None else CoverTask(spec, result.request).seed or 0)


def _run_cover(spec: ModelSpec, node: str, *, audio: Any, preprocess: Any, unique_id: Any,
               values: dict[str, Any]) -> tuple[Any, ...]:
    from ..plugin.jobs.pipeline import cover
    from .audio_bridge import to_comfy_audio

    source, request = node_job(spec, node, audio=audio, preprocess=preprocess, values=values)
    from .pricing import payee

    who = payee(preprocess is not None, sandbox=bool(getattr(preprocess, "sandbox", False))
                if preprocess is not None else None)
    reporter = make_reporter(None if unique_id is None else str(unique_id), sandbox=who.sandbox)
    shown = price_text(spec, values, preprocess=preprocess)
    reporter.send_text("Status: submitting" + (f"\n{shown}" if shown else ""))
    try:
        result = cover(source, request=request, spec=spec, decode=True, output_dir=_output_dir(),
                       on_progress=reporter.on_progress, should_cancel=reporter.should_cancel,
                       again=bool(values.get("again")))
    except Interrupted as exc:
        reporter.raise_interrupt(exc)
    except SpecValidationError as exc:
        if isinstance(exc, NodeInputError):
            raise
        raise NodeInputError(_to_violations(spec, exc), node) from exc
    reporter.finish(result)
    takes = takes_of([result], spec, node)
    cost = float(result.cost_total) if result.cost_total is not None else 0.0
    return (to_comfy_audio(takes), first_seed(result, spec), cost, _dumps(result.request),
            _dumps(result.response))
