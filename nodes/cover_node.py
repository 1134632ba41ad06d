"""The cover node, generated per model: :func:`make_cover_node` turns a ModelSpec into a V1 class.

Widgets come from the spec's JSON Schema (:mod:`.widgets`); the run calls
:func:`~..plugin.pipeline.cover` and returns the takes as one ComfyUI AUDIO batch. Decisions:

- **Batch in.** The node covers one song per run: an AUDIO batch of more than one clip is an
  error naming the batch size (each clip is a paid job; split the batch upstream on purpose).
- **Caching.** ``IS_CHANGED`` hashes the widget values (never NaN), so identical inputs with a
  fixed seed reuse ComfyUI's cached output instead of paying twice.
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
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..plugin.errors import Interrupted, SpecValidationError, Violation
from . import widgets as W
from .host import make_reporter

if TYPE_CHECKING:
    from ..plugin.spec.model import ModelSpec

__all__ = [
    "BUILTIN_NODE_IDS",
    "COVER_CATEGORY",
    "PREPROCESS_TYPE",
    "NodeInputError",
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
    """ComfyUI's temp directory when running inside ComfyUI, else the system temp dir."""
    try:
        import folder_paths

        base = Path(folder_paths.get_temp_directory())
    except Exception:  # not inside ComfyUI
        base = Path(tempfile.gettempdir())
    out = base / "minimax_cover"
    out.mkdir(parents=True, exist_ok=True)
    return out


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
    from ..plugin.jobs.pipeline import PLACEHOLDER_AUDIO
    from ..plugin.spec.validation import validate_request

    values = _widget_values(spec, kwargs)
    problems = W.check_widget_values(spec, values)
    if problems:
        return [Violation(p.split(":", 1)[0], p.split(":", 1)[1].strip(), has_value=False)
                for p in problems]
    request = W.widgets_to_request(spec, values)
    request.setdefault("inputs", {})["audio"] = PLACEHOLDER_AUDIO
    try:
        validate_request(request, spec)
    except SpecValidationError as exc:
        linked = {name for name, value in values.items() if value is None}
        return [v for v in _to_violations(spec, exc) if v.path not in linked]
    return []


def _fingerprint(spec: ModelSpec, kwargs: dict[str, Any]) -> str:
    values = {k: v for k, v in sorted(_widget_values(spec, kwargs).items()) if v is not None}
    blob = json.dumps({"model": spec.model_id, "values": values}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def make_cover_node(spec: ModelSpec, *, node_id: str | None = None) -> type:
    """A ComfyUI V1 node class running cover jobs for ``spec``.

    Class attributes follow ComfyUI's contract (``INPUT_TYPES``, ``RETURN_TYPES``, ``FUNCTION``,
    ``CATEGORY``, ``VALIDATE_INPUTS``, ``IS_CHANGED``); ``NODE_ID``, ``DISPLAY_NAME`` and
    ``SPEC`` tell hosts what it is.

    :param spec: the model whose widgets and request rules the node uses.
    :param node_id: overrides :func:`node_id_for` (keep ids stable once published).
    """
    nid = node_id or node_id_for(spec)
    display = f"{spec.name} (Runware)"

    class CoverNode:
        NODE_ID = nid
        DISPLAY_NAME = display
        SPEC = spec
        CATEGORY = COVER_CATEGORY
        DESCRIPTION = (
            f"{spec.description} Runs {spec.model_id} on Runware (RUNWARE_API_KEY or the config "
            "file; without a key: the local sandbox, synthetic audio). Returns every take as "
            "one AUDIO batch, the first take's seed, the total cost and the request/response "
            "as JSON."
        )
        FUNCTION = "run"
        OUTPUT_NODE = False
        RETURN_TYPES = ("AUDIO", "INT", "FLOAT", "STRING", "STRING")
        RETURN_NAMES = ("audio", "seed", "cost", "request_json", "response_json")
        OUTPUT_TOOLTIPS = (
            "The takes (numberResults), zero-padded to one length as one batch [B, C, T].",
            "Seed of the first take.",
            "Total cost in USD (0.0 when the API did not report it).",
            "The request sent (no API key).",
            "The raw result items (inline audio elided).",
        )

        @classmethod
        def INPUT_TYPES(cls) -> dict[str, Any]:  # noqa: N802 (ComfyUI's name)
            types = W.input_types(cls.SPEC)
            optional = {
                "preprocess": (PREPROCESS_TYPE, {
                    "tooltip": "A two-step preprocess handle; replaces the audio input. A "
                               "non-empty lyrics widget overrides the lyrics it found."}),
                **types["optional"],
            }
            return {"required": types["required"], "optional": optional,
                    "hidden": {"unique_id": "UNIQUE_ID"}}

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


def _run_cover(spec: ModelSpec, node: str, *, audio: Any, preprocess: Any, unique_id: Any,
               values: dict[str, Any]) -> tuple[Any, ...]:
    from ..plugin.jobs.pipeline import cover
    from .audio_bridge import to_comfy_audio

    problems = check_inputs(spec, values)
    if problems:
        raise NodeInputError(problems, node)
    request = W.widgets_to_request(spec, _widget_values(spec, values))
    if preprocess is not None and not request.get("settings", {}).get("lyrics"):
        heard = getattr(preprocess, "formatted_lyrics", None) or getattr(preprocess, "lyrics", None)
        if heard:
            request.setdefault("settings", {})["lyrics"] = str(heard)
    source = _source(audio, preprocess, node)
    reporter = make_reporter(None if unique_id is None else str(unique_id),
                             sandbox=bool(getattr(preprocess, "sandbox", False)))
    reporter.send_text("Status: submitting")
    try:
        result = cover(source, request=request, spec=spec, decode=True, output_dir=_output_dir(),
                       on_progress=reporter.on_progress, should_cancel=reporter.should_cancel)
    except Interrupted as exc:
        reporter.raise_interrupt(exc)
    except SpecValidationError as exc:
        if isinstance(exc, NodeInputError):
            raise
        raise NodeInputError(_to_violations(spec, exc), node) from exc
    reporter.finish(result)
    takes = []
    for out in result.outputs:
        if out.audio is None and out.path is not None:
            from ..plugin.audio import read_audio

            out.audio = read_audio(out.path)
        if out.audio is not None:
            takes.append(out.audio)
    if not takes:
        from ..plugin.errors import MinimaxCoverError

        raise MinimaxCoverError(f"{node}: task {result.task_uuid} returned no audio")
    seed = next((o.seed for o in result.outputs if o.seed is not None), None)
    if seed is None:
        seed = int(result.request.get("seed", 0) or 0)
    cost = float(result.cost_total) if result.cost_total is not None else 0.0
    return (to_comfy_audio(takes), int(seed), cost, _dumps(result.request),
            _dumps(result.response))
