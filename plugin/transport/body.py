"""Read a streamed response body chunk by chunk, under an :class:`~.deadline.ExchangeWatch`.

Chunks are returned as they arrive (one socket read each, ``read1``), so the deadline and the
minimum rate are checked between reads however slowly the server sends; the size cap is the
caller's (it knows what the bytes are). urllib3 errors are raised as the ``requests``
exceptions ``Response.iter_content`` would raise, so callers classify failures one way.
"""

from __future__ import annotations

from collections.abc import Iterator

import requests
import urllib3.exceptions

from .deadline import ExchangeWatch

__all__ = ["BODY_CHUNK_BYTES", "iter_body"]

#: Most bytes returned by one read (decoded bytes, for a compressed body).
BODY_CHUNK_BYTES = 64 * 1024


def _read(resp: requests.Response, amt: int) -> bytes:
    raw = resp.raw
    read1 = getattr(raw, "read1", None)
    try:
        if read1 is not None:  # urllib3 2: returns what one socket read brought
            return bytes(read1(amt, decode_content=True))
        return bytes(raw.read(min(amt, 8192), decode_content=True))  # urllib3 1.26
    except urllib3.exceptions.ProtocolError as exc:
        raise requests.exceptions.ChunkedEncodingError(exc) from exc
    except urllib3.exceptions.DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(exc) from exc
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise requests.exceptions.ReadTimeout(exc) from exc
    except urllib3.exceptions.SSLError as exc:
        raise requests.exceptions.SSLError(exc) from exc
    except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
        raise requests.exceptions.ConnectionError(exc) from exc


def iter_body(resp: requests.Response, watch: ExchangeWatch, *,
              chunk_bytes: int = BODY_CHUNK_BYTES, task_uuid: str | None = None,
              ) -> Iterator[bytes]:
    """Yield the (decoded) body of ``resp``, opened with ``stream=True``, as it arrives.

    :param watch: the exchange's watch (deadline and minimum rate).
    :param chunk_bytes: most bytes per chunk.
    :param task_uuid: put on a :class:`~..errors.DeadlineExceededError`.
    :raises DeadlineExceededError: past the deadline, or slower than the minimum rate.
    :raises requests.exceptions.RequestException: the transfer broke (as ``iter_content``).
    """
    watch.attach_response(resp)
    started = watch._clock()
    received = 0
    while True:
        watch.check(received, started, task_uuid=task_uuid)
        try:
            chunk = _read(resp, chunk_bytes)
        except requests.exceptions.RequestException:
            if watch.expired():
                raise watch.error(received, task_uuid=task_uuid) from None
            raise
        if not chunk:
            if watch.fired:  # the shutdown looks like the end of the body
                raise watch.error(received, task_uuid=task_uuid)
            return
        received += len(chunk)
        yield chunk
