"""Expired or unknown handles: make them again from the song when it is at hand.

MiniMax forgets a ``cover_feature_id`` after 24 hours, and answers a generation naming one it
does not know with code 2013 ("invalid params ... cover_feature_id"). That generation was
refused, so nothing was paid: when the handle's recorded song path still holds the same
content (:func:`.cache.song_at_hand`), the song is preprocessed again and the generation sent
once more. Otherwise :class:`HandleExpiredError` says what to run.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ..errors import InvalidParameterError
from .cache import song_at_hand

if TYPE_CHECKING:
    from .handle import CoverHandle

__all__ = ["HandleExpiredError", "expired_message", "is_unknown_handle", "renewable_song"]


class HandleExpiredError(InvalidParameterError):
    """MiniMax no longer knows the handle and the song is not at hand to make it again."""


def is_unknown_handle(exc: BaseException) -> bool:
    """True for MiniMax's refusal of a handle: code 2013 whose message names
    ``cover_feature_id``."""
    return (isinstance(exc, InvalidParameterError) and str(getattr(exc, "code", "")) == "2013"
            and "cover_feature_id" in str(exc))


def expired_message(feature_id: str, handle: CoverHandle | None) -> str:
    """The one line that names the fix for a handle that cannot be made again here."""
    when = ""
    if handle is not None and handle.expired:
        when = f" (it expired {time.strftime('%Y-%m-%d %H:%M', time.localtime(handle.expires_at))})"
    where = ""
    if handle is not None and handle.song_path:
        where = f"; its song {handle.song_path} is gone or changed"
    return (f"cover_feature_id {feature_id}: MiniMax no longer knows this handle{when}{where}; "
            "run `minimax-cover preprocess SONG -o handle.json` again, or pass the song itself "
            "instead of the handle")


def renewable_song(handle: CoverHandle | None) -> tuple[bytes, str] | None:
    """``(bytes, path)`` of the handle's song when it is at hand, else ``None``."""
    if handle is None:
        return None
    data = song_at_hand(handle)
    if data is None or handle.song_path is None:
        return None
    return data, handle.song_path
