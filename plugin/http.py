"""What the API clients share: a ``requests.Session`` they own or borrow, and its lifecycle."""

from __future__ import annotations

from typing import Any

import requests

__all__ = ["SessionClient"]

USER_AGENT = "minimax-cover (python-requests)"


class SessionClient:
    """Base of the API clients: one session per client, closed with the client.

    A session passed in by the caller (``http_client=``: proxies, CA bundle, pool size) is used
    as it is and never closed here.
    """

    _session: requests.Session
    _owns_session: bool

    def _init_session(self, http_client: requests.Session | None) -> None:
        self._owns_session = http_client is None
        self._session = http_client if http_client is not None else requests.Session()
        if self._owns_session:
            self._session.headers["User-Agent"] = USER_AGENT

    @property
    def session(self) -> requests.Session:
        """The HTTP session (also used for result downloads, which never carry the API key)."""
        return self._session

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session (unless the caller passed it in as ``http_client``)."""
        if self._owns_session:
            self._session.close()
