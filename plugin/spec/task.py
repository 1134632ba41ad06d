"""A task bound to its spec: the request's values read one way, with the spec's defaults.

:class:`CoverTask` wraps a request (a dict, shared, not copied) and its :class:`ModelSpec`, so
``numberResults``, the seed, the format and the ``taskUUID`` are read in one place instead of
``request["numberResults"]``, ``request.get("numberResults", 1)`` and ``spec.value(...)`` in
every module that needs them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .model import ModelSpec

__all__ = ["CoverTask"]


@dataclass(frozen=True)
class CoverTask:
    """``request`` read through ``spec`` (absent fields take the spec's defaults)."""

    spec: ModelSpec
    request: dict[str, Any]

    def _get(self, path: str, fallback: Any = None) -> Any:
        try:
            value = self.spec.value(self.request, path)
        except KeyError:  # a model without the field
            return fallback
        return fallback if value is None else value

    @property
    def number_results(self) -> int:
        """How many results the task asks for (1 when the model has no such field)."""
        try:
            return max(1, int(self._get("numberResults", 1)))
        except (TypeError, ValueError):
            return 1

    @property
    def seed(self) -> int | None:
        """The seed in the request, or ``None`` (the client or the server chooses one)."""
        value = self._get("seed")
        try:
            return None if value is None else int(value)
        except (TypeError, ValueError):
            return None

    @property
    def output_format(self) -> str:
        """``outputFormat``, upper case (``"MP3"``)."""
        return str(self._get("outputFormat", "")).upper()

    @property
    def task_uuid(self) -> str:
        """The request's ``taskUUID`` (``""`` when it has none yet)."""
        return str(self.request.get("taskUUID") or "")

    @property
    def estimated_cost_usd(self) -> float | None:
        """The spec's list price for this task (``numberResults`` x price per result)."""
        return self.spec.estimated_cost_usd(self.request)

    def set_seed(self, seed: int | None) -> None:
        """Put ``seed`` in the request where the spec places it (``None`` removes it)."""
        try:
            f = self.spec.field("seed")
        except KeyError:
            return
        if f.placement == "top":
            node: Any = self.request
        else:
            node = self.request.setdefault(f.placement, {})
        if not isinstance(node, dict):
            return  # validation names the wrong type
        if seed is None:
            node.pop(f.name, None)
        else:
            node[f.name] = int(seed)

    def without_seed(self) -> dict[str, Any]:
        """A copy of the request with no seed (the basis of the seedless identity)."""
        copy = CoverTask(self.spec, _deep_copy(self.request))
        copy.set_seed(None)
        return copy.request

    def to_request(self) -> dict[str, Any]:
        """A copy of the request, as it is sent."""
        return _deep_copy(self.request)


def _deep_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value
