"""What the API clients share: a ``requests.Session`` they own or borrow, and its lifecycle."""

from __future__ import annotations

import socket
from typing import Any

import requests
import urllib3.exceptions

from .deadline import watch_session

__all__ = ["SessionClient", "failed_before_sending"]

USER_AGENT = "minimax-cover (python-requests)"


class SessionClient:
    """Base of the API clients: one session per client, closed with the client.

    A session passed in by the caller (``http_client=``: proxies, CA bundle, pool size) is used
    as it is and never closed here. An owned session mounts
    :class:`~.deadline.WatchedAdapter`, so a total deadline also bounds the wait for headers;
    on a caller's session it bounds the body (``Timeout.total_s``).
    """

    _session: requests.Session
    _owns_session: bool

    def _init_session(self, http_client: requests.Session | None) -> None:
        self._owns_session = http_client is None
        self._session = http_client if http_client is not None else requests.Session()
        if self._owns_session:
            self._session.headers["User-Agent"] = USER_AGENT
            watch_session(self._session)

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


def failed_before_sending(exc: BaseException) -> bool:
    """True when a requests error shows the connection was never made (nothing was sent)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    stack: list[BaseException] = [exc]
    seen: set[int] = set()
    while stack:
        err = stack.pop()
        if id(err) in seen:
            continue
        seen.add(id(err))
        # NewConnectionError and NameResolutionError subclass ConnectTimeoutError.
        if isinstance(err, (urllib3.exceptions.ConnectTimeoutError, ConnectionRefusedError,
                            socket.gaierror)):
            return True
        if isinstance(err, urllib3.exceptions.MaxRetryError) and err.reason is not None:
            stack.append(err.reason)
        stack.extend(a for a in err.args if isinstance(a, BaseException))
        for linked in (err.__cause__, err.__context__):
            if linked is not None:
                stack.append(linked)
    return False
