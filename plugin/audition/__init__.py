"""Audition: compare a song with its covers, seen and heard (pages and pictures).

- :mod:`.pictures`: waveform + spectrogram of a clip on a shared time axis (numpy only).
- :mod:`.png`: the small PNG writer the pictures use (zlib).
- :mod:`.page`: the self-contained HTML page (players, A/B at the same position).
- :mod:`.compare`: pages from files (``minimax-cover compare``) or a finished job
  (``cover --compare``).
- :mod:`.index`: the index page linking pages (``batch --compare``: one page per row).

Importing this package loads nothing heavy; numpy is imported inside the functions.
"""

from __future__ import annotations

from .compare import (
    Clip,
    build_page,
    href_for,
    is_local_file,
    page_for_result,
    page_path_for,
    page_path_for_files,
)
from .index import IndexEntry, write_index
from .page import PageInfo, Track, render_page
from .pictures import PictureStyle, picture_png, render_picture
from .png import encode_png, png_size

__all__ = [
    "Clip",
    "IndexEntry",
    "PageInfo",
    "PictureStyle",
    "Track",
    "build_page",
    "encode_png",
    "href_for",
    "is_local_file",
    "page_for_result",
    "page_path_for",
    "page_path_for_files",
    "picture_png",
    "png_size",
    "render_page",
    "render_picture",
    "write_index",
]
