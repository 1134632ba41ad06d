"""The interactive docs page (``GET /docs``): a small page of our own, bundled in the package,
that renders ``/openapi.json`` (operations, request schema with its rules) and can send a
request; it loads nothing from any other host, so it works offline."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

__all__ = ["docs_html", "docs_js"]


@lru_cache(maxsize=1)
def docs_html() -> str:
    """The page (it loads ``/docs/docs.js``)."""
    return resources.files(__package__).joinpath("docs.html").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def docs_js() -> str:
    """The page's script."""
    return resources.files(__package__).joinpath("docs.js").read_text(encoding="utf-8")
