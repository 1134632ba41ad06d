"""Cancellable sleeps (moved to :mod:`..transport.sleeper`: both vendors' clients use them)."""

from __future__ import annotations

from ..transport.sleeper import CancelCheck, Sleeper

__all__ = ["CancelCheck", "Sleeper"]
