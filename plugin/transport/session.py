"""What the API clients share: a ``requests.Session`` they own or borrow, and its lifecycle."""

from __future__ import annotations

import os
import socket
import threading
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
from requests.sessions import merge_setting
from requests.utils import get_environ_proxies

from .deadline import watch_session

__all__ = ["EnvironmentOnceSession", "SessionClient", "failed_before_sending"]

USER_AGENT = "minimax-cover (python-requests)"


class EnvironmentOnceSession(requests.Session):
    """A session that reads the proxy and CA-bundle environment once per origin, not per request.

    ``requests`` scans the whole environment (``*_proxy``, ``no_proxy``, ``REQUESTS_CA_BUNDLE``)
    on every request when ``trust_env`` is on: a third of a small request's client CPU. A batch
    makes thousands of requests to a few origins within one run, so the answer is kept per
    ``(scheme, host:port, no_proxy)``; everything else is ``requests.Session``'s own merge.
    """

    _MAX_ORIGINS = 256

    def __init__(self) -> None:
        super().__init__()
        self._env_cache: dict[tuple[str, str, Any], tuple[dict[str, str], str | None]] = {}
        self._env_lock = threading.Lock()

    def _environment(self, url: str, no_proxy: Any) -> tuple[dict[str, str], str | None]:
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, no_proxy)
        found = self._env_cache.get(key)
        if found is None:
            found = (get_environ_proxies(url, no_proxy=no_proxy),
                     os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE"))
            with self._env_lock:
                if len(self._env_cache) >= self._MAX_ORIGINS:
                    self._env_cache.clear()
                self._env_cache[key] = found
        return found

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any,
                                   cert: Any) -> dict[str, Any]:
        """``requests.Session.merge_environment_settings``, the environment read once."""
        if self.trust_env:
            no_proxy = proxies.get("no_proxy") if proxies is not None else None
            env_proxies, bundle = self._environment(url, no_proxy)
            if proxies is not None:
                for k, v in env_proxies.items():
                    proxies.setdefault(k, v)
            if verify is True or verify is None:
                verify = bundle or verify
        return {"proxies": merge_setting(proxies, self.proxies),
                "stream": merge_setting(stream, self.stream),
                "verify": merge_setting(verify, self.verify),
                "cert": merge_setting(cert, self.cert)}


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
