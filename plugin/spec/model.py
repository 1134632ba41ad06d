"""The parameter spec of MiniMax Music Cover on Runware, as data.

Transcribed from ``shared/spec/runware-minimax-music-cover.txt`` (Runware's parameter reference
for ``minimax:music@cover``). Every field keeps the spec's name and placement (top level,
``inputs``, ``settings``). The JSON Schema in ``schemas/``, request validation, node widgets and
CLI options are all generated from :data:`MINIMAX_MUSIC_COVER`; no parameter is typed twice.

Fields marked with ``extension=`` go beyond the spec text, each citing where the public docs add
it (https://runware.ai/docs/models/minimax-music-cover, read 2026-11-24):

- ``outputType`` values: the text says "3 values" without listing them; Runware's audio docs use
  ``URL``, ``dataURI`` and ``base64Data``.
- ``outputFormat: OGG`` and the ``audioSettings`` object (lossy formats only) are listed on the
  model page's HTML version and in both new Runware SDKs' generated types.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..audio.formats import is_lossy
from .predicates import HTTP_URL_PATTERN, UUID4_PATTERN

__all__ = [
    "HTTP_URL_PATTERN",
    "MINIMAX_MUSIC_COVER",
    "SECTION_TAGS",
    "UUID4_PATTERN",
    "Field",
    "ModelSpec",
    "Placement",
]

Placement = Literal["top", "inputs", "settings", "audioSettings"]
FieldType = Literal["string", "integer", "number", "boolean"]

MODEL_PAGE = "https://runware.ai/docs/models/minimax-music-cover"

#: Section tags the spec names for ``settings.lyrics``; numbered variants (``[Verse 2]``) allowed.
SECTION_TAGS: tuple[str, ...] = (
    "Intro",
    "Verse",
    "Pre-Chorus",
    "Chorus",
    "Bridge",
    "Outro",
    "Inst",
)


@dataclass(frozen=True)
class Field:
    """One request parameter: where it goes, its type and every rule the API applies to it.

    ``group`` is the section of the reference it comes from (``api``, ``inputs``,
    ``generation``, ``settings``); ``advanced`` hides it behind an "advanced" fold in hosts;
    ``cli`` lists extra CLI spellings; ``multiline`` asks hosts for a text area.
    """

    name: str
    placement: Placement
    type: FieldType
    description: str
    group: str
    required: bool = False
    default: Any = None
    const: Any = None
    enum: tuple[Any, ...] | None = None
    enum_descriptions: dict[str, str] | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    min_length: int | None = None
    max_length: int | None = None
    format: Literal["uuid", "uri", "uuid-or-uri"] | None = None
    pattern: str | None = None
    extension: str | None = None
    advanced: bool = False
    multiline: bool = False
    user_input: bool = True
    cli: tuple[str, ...] = ()
    title: str | None = None

    @property
    def path(self) -> str:
        """JSON path of the field in a task object, e.g. ``settings.lyrics``."""
        return self.name if self.placement == "top" else f"{self.placement}.{self.name}"

    @property
    def label(self) -> str:
        """A human title: the explicit one, or the name split at capitals."""
        if self.title:
            return self.title
        words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", self.name).split()
        words = [w if w.isupper() and len(w) > 1 else w.lower() for w in words]
        text = " ".join(words)
        return text[:1].upper() + text[1:]


@dataclass(frozen=True, eq=False)
class CrossRule:
    """A rule between fields: when ``when`` holds, ``field`` must satisfy ``then``.

    ``when`` maps a field path to the allowed values that trigger the rule; ``then`` is a JSON
    Schema fragment applied to the task object. ``message`` is what the user reads.
    """

    when: dict[str, tuple[Any, ...]]
    then: dict[str, Any]
    message: str
    path: str
    extension: str | None = None


@dataclass(frozen=True, eq=False)
class ModelSpec:
    """A model's whole parameter spec: identity, task type and fields."""

    model_id: str
    task_type: str
    name: str
    provider: str
    description: str
    fields: tuple[Field, ...]
    cross_rules: tuple[CrossRule, ...] = ()
    result_fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    slug: str = ""
    #: What one generated result costs in USD (the provider's list price), if known.
    price_per_result_usd: float | None = None

    def field(self, path: str) -> Field:
        """The field at ``path`` (``positivePrompt``, ``settings.lyrics``)."""
        for f in self.fields:
            if f.path == path or f.name == path:
                return f
        raise KeyError(path)

    def default(self, path: str) -> Any:
        """The value the API applies when ``path`` is absent: its constant or default, or None.

        The one place defaults are read from; :func:`~.validation.validate_request` fills the
        same values into a request.
        """
        f = self.field(path)
        return f.const if f.const is not None else f.default

    def value(self, request: Mapping[str, Any], path: str) -> Any:
        """The value of ``path`` in ``request``, or :meth:`default` when it is absent."""
        f = self.field(path)
        node: Any = request if f.placement == "top" else request.get(f.placement)
        if isinstance(node, Mapping) and node.get(f.name) is not None:
            return node[f.name]
        return self.default(path)

    def estimated_cost_usd(self, request: Mapping[str, Any]) -> float | None:
        """``price_per_result_usd`` times the request's ``numberResults`` (None: no price)."""
        if self.price_per_result_usd is None:
            return None
        try:
            count = int(self.value(request, "numberResults") or 1)
        except KeyError:  # a model without numberResults makes one result
            count = 1
        return round(self.price_per_result_usd * count, 6)

    @property
    def user_fields(self) -> tuple[Field, ...]:
        """Fields a user sets (not ``taskType``/``model``/``taskUUID``)."""
        return tuple(f for f in self.fields if f.user_input)

    def defaults(self) -> dict[str, Any]:
        """``{path: default}`` for every field with a default or a constant."""
        out: dict[str, Any] = {}
        for f in self.fields:
            if f.const is not None:
                out[f.path] = f.const
            elif f.default is not None:
                out[f.path] = f.default
        return out


#: The values of ``outputFormat``; which of them are lossy comes from the audio format table.
_OUTPUT_FORMATS = ("MP3", "WAV", "FLAC", "OGG")
_LOSSLESS = tuple(name for name in _OUTPUT_FORMATS if not is_lossy(name))
_MP3_RATE_BITRATES: tuple[tuple[tuple[int, ...], int, int], ...] = (
    ((8000, 11025, 12000), 8, 64),
    ((16000, 22050, 24000), 8, 160),
    ((32000, 44100, 48000), 32, 320),
)


def _mp3_bitrate_rules() -> tuple[CrossRule, ...]:
    rules = []
    for rates, lo, hi in _MP3_RATE_BITRATES:
        rules.append(
            CrossRule(
                when={"outputFormat": ("MP3",), "audioSettings.sampleRate": rates},
                then={
                    "properties": {
                        "audioSettings": {
                            "properties": {"bitrate": {"minimum": lo, "maximum": hi}}
                        }
                    }
                },
                message=(
                    f"MP3 bitrate must be {lo}-{hi} kbps at "
                    f"{'/'.join(f'{r / 1000:g}' for r in rates)} kHz"
                ),
                path="audioSettings.bitrate",
                extension=MODEL_PAGE,
            )
        )
    return tuple(rules)


_API = "api"

MINIMAX_MUSIC_COVER = ModelSpec(
    model_id="minimax:music@cover",
    task_type="audioInference",
    name="MiniMax Music Cover",
    provider="MiniMax",
    slug="minimax-music-cover",
    price_per_result_usd=0.15,  # Runware's list price per generated cover (model page)
    description=(
        "MiniMax's song-to-song transformation model: keeps the original vocal melody while "
        "changing voice timbre, instrumentation, genre and arrangement through a text prompt "
        "and optional structured lyrics."
    ),
    fields=(
        # --- API options -------------------------------------------------------------------
        Field(
            "taskType", "top", "string", "Identifier for the type of task being performed.",
            _API, required=True, const="audioInference", user_input=False,
        ),
        Field(
            "taskUUID", "top", "string",
            "UUID v4 identifier for tracking tasks and matching async responses. "
            "Must be unique per task.",
            _API, required=True, format="uuid", pattern=UUID4_PATTERN, user_input=False,
        ),
        Field(
            "outputType", "top", "string", "Audio output type.", _API,
            default="URL", enum=("URL", "dataURI", "base64Data"),
            enum_descriptions={
                "URL": "A URL to the generated file (result field audioURL).",
                "dataURI": "A data URI with the file inline (result field audioDataURI).",
                "base64Data": "The file as base64 (result field audioBase64Data).",
            },
            extension="values listed by Runware's audio docs; the spec text says '3 values'",
            advanced=True,
        ),
        Field(
            "outputFormat", "top", "string",
            "Specifies the file format of the generated output. MP3: compressed audio, smaller "
            "file size. WAV: uncompressed, high-quality audio. FLAC: lossless compression.",
            _API, default="MP3", enum=_OUTPUT_FORMATS,
            enum_descriptions={
                "MP3": "Compressed audio, smaller file size.",
                "WAV": "Uncompressed, high-quality audio.",
                "FLAC": "Lossless compression.",
                "OGG": "Ogg Vorbis, compressed (extension: Runware model page).",
            },
            extension="OGG: listed on Runware's model page and SDK types, not in the spec text",
            cli=("--format",),
        ),
        Field(
            "webhookURL", "top", "string",
            "Specifies a webhook URL where JSON responses will be sent via HTTP POST when "
            "generation tasks complete. For batch requests with multiple results, each "
            "completed item triggers a separate webhook call as it becomes available.",
            _API, format="uri", pattern=HTTP_URL_PATTERN, advanced=True,
        ),
        Field(
            "deliveryMethod", "top", "string",
            "Determines how the API delivers task results. sync: returns complete results "
            "directly in the API response. async: returns an immediate acknowledgment with the "
            "task UUID; poll for results using getResponse.",
            _API, default="sync", enum=("sync", "async"),
            enum_descriptions={
                "sync": "Returns complete results directly in the API response.",
                "async": "Returns an immediate acknowledgment with the task UUID. "
                "Poll for results using getResponse.",
            },
            advanced=True,
        ),
        Field(
            "uploadEndpoint", "top", "string",
            "Specifies a URL where the generated content will be automatically uploaded using "
            "the HTTP PUT method. The raw binary data of the media file is sent directly as the "
            "request body. For secure uploads to cloud storage, use presigned URLs that include "
            "temporary authentication credentials.",
            _API, format="uri", pattern=HTTP_URL_PATTERN, advanced=True,
        ),
        Field(
            "ttl", "top", "integer",
            "Time-to-live (TTL) in seconds for generated content. Only applies when outputType "
            "is URL.",
            _API, minimum=60, advanced=True, title="TTL",
        ),
        Field(
            "includeCost", "top", "boolean", "Include task cost in the response.", _API,
            default=False, advanced=True,
        ),
        Field(
            "numberResults", "top", "integer",
            "Number of results to generate. Each result uses a different seed, producing "
            "variations of the same parameters.",
            _API, default=1, minimum=1, maximum=4, cli=("--results",),
        ),
        # --- Inputs --------------------------------------------------------------------------
        Field(
            "audio", "inputs", "string", "Audio input (UUID or URL).", "inputs",
            required=True, format="uuid-or-uri", title="Reference audio",
        ),
        # --- Generation parameters -----------------------------------------------------------
        Field(
            "model", "top", "string", "Identifier of the model to use for generation.",
            "generation", required=True, const="minimax:music@cover", user_input=False,
        ),
        Field(
            "positivePrompt", "top", "string",
            "Text prompt describing elements to include in the generated output.",
            "generation", required=True, min_length=10, max_length=300, multiline=True,
            cli=("--prompt",), title="Prompt",
        ),
        Field(
            "seed", "top", "integer",
            "Random seed for reproducible generation. When not provided, a random seed is "
            "generated in the unsigned 32-bit range.",
            "generation", minimum=0, maximum=1_000_000,
        ),
        # --- Settings ------------------------------------------------------------------------
        Field(
            "lyrics", "settings", "string",
            "Structured lyrics with section tags such as [Intro], [Verse], [Chorus], [Bridge], "
            "[Outro], and [Inst]. For instrumental generation, a tag-only skeleton is "
            "acceptable.",
            "settings", min_length=10, max_length=1000, multiline=True,
        ),
        # --- audioSettings (extension) -------------------------------------------------------
        Field(
            "sampleRate", "audioSettings", "integer",
            "Output sample rate in Hz (lossy formats only).",
            "audioSettings",
            enum=(8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000),
            extension=MODEL_PAGE, advanced=True,
        ),
        Field(
            "bitrate", "audioSettings", "integer",
            "Output bitrate in kbps (lossy formats only); the allowed range depends on the "
            "sample rate.",
            "audioSettings", minimum=8, maximum=320, extension=MODEL_PAGE, advanced=True,
        ),
        Field(
            "channels", "audioSettings", "integer", "Output channel count: 1 (mono) or 2.",
            "audioSettings", enum=(1, 2), extension=MODEL_PAGE, advanced=True,
        ),
    ),
    cross_rules=(
        CrossRule(
            when={"outputFormat": _LOSSLESS},
            then={"not": {"required": ["audioSettings"]}},
            message=(f"audioSettings must not be provided with {' or '.join(_LOSSLESS)} "
                     "(lossy formats only)"),
            path="audioSettings",
            extension=MODEL_PAGE,
        ),
        *_mp3_bitrate_rules(),
    ),
    result_fields={
        "taskType": {"type": "string", "description": "The task type of the original task."},
        "taskUUID": {"type": "string", "format": "uuid", "description": "The task's UUID."},
        "audioUUID": {"type": "string", "description": "Unique identifier of the generated audio."},
        "audioURL": {"type": "string", "format": "uri", "description": "With outputType URL."},
        "audioDataURI": {"type": "string", "description": "With outputType dataURI."},
        "audioBase64Data": {"type": "string", "description": "With outputType base64Data."},
        "seed": {
            "type": "integer",
            "minimum": 0,
            "maximum": 4294967295,
            "description": "The seed used; drawn in the unsigned 32-bit range when none was sent.",
        },
        "cost": {"type": "number", "minimum": 0, "description": "Cost in USD (includeCost)."},
        "status": {
            "type": "string",
            "description": "getResponse items: processing (or pending), success or error.",
        },
        "progress": {"type": "number", "minimum": 0, "maximum": 100},
        "resultIndex": {"type": "integer", "minimum": 0},
    },
)
