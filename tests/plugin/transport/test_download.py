"""fetch_result: streamed URL downloads and inline results, checked then atomically renamed.

A tiny stdlib HTTP server on 127.0.0.1 plays the result host (it records the headers it
receives); the sandbox's own result URLs are used for the fault cases.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from minimax_cover.plugin.errors import DownloadError, NotFoundError
from minimax_cover.plugin.results import GenerationResult
from minimax_cover.plugin.runware.envelope import generation_from_item
from minimax_cover.plugin.transport.download import decode_inline, fetch_result


def _real_mp3() -> bytes:
    """One second of a sine as a real MP3 (downloads are verified before they are saved)."""
    import numpy as np
    from minimax_cover.plugin.audio import Audio, encode_audio

    t = np.arange(22050, dtype=np.float64) / 22050
    return encode_audio(Audio((0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 22050),
                        "MP3")


MP3_HEAD = _real_mp3()
WAV_HEAD = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 100


class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
    seen: list[dict[str, str]] = []

    def do_GET(self) -> None:  # noqa: N802 - stdlib API
        type(self).seen.append(dict(self.headers))
        status, headers, body = type(self).routes.get(self.path, (404, {}, b"missing"))
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def host() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("H", (_Handler,), {"routes": {}, "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def url_result(url: str) -> GenerationResult:
    return generation_from_item({"taskUUID": "t", "audioUUID": "a1", "audioURL": url})


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".part")]


def test_url_download_is_checked_and_renamed(host: Any, session: requests.Session,
                                             tmp_path: Path) -> None:
    base, handler = host
    handler.routes["/a1.mp3"] = (200, {"Content-Type": "audio/mpeg"}, MP3_HEAD)
    dest = tmp_path / "out" / "cover.mp3"
    assert fetch_result(url_result(base + "/a1.mp3"), dest, expected_format="MP3",
                        session=session) == dest
    assert dest.read_bytes() == MP3_HEAD
    assert leftovers(dest.parent) == []


def test_no_authorization_header_reaches_the_result_host(
    host: Any, session: requests.Session, tmp_path: Path, fake_key: str
) -> None:
    base, handler = host
    handler.routes["/a1.mp3"] = (200, {}, MP3_HEAD)
    session.headers["Authorization"] = f"Bearer {fake_key}"  # even a careless caller session
    fetch_result(url_result(base + "/a1.mp3"), tmp_path / "x.mp3", expected_format="MP3",
                 session=session)
    assert handler.seen and all("Authorization" not in h for h in handler.seen)


@pytest.mark.parametrize("status", [404, 410])
def test_expired_url_is_not_found(host: Any, session: requests.Session, tmp_path: Path,
                                  status: int) -> None:
    base, handler = host
    handler.routes["/a1.mp3"] = (status, {}, b"gone")
    with pytest.raises(NotFoundError, match="expired") as info:
        fetch_result(url_result(base + "/a1.mp3"), tmp_path / "x.mp3", expected_format="MP3",
                     session=session)
    assert info.value.status_code == status
    assert not (tmp_path / "x.mp3").exists() and leftovers(tmp_path) == []


def test_wrong_format_is_refused(host: Any, session: requests.Session, tmp_path: Path) -> None:
    base, handler = host
    handler.routes["/a1.mp3"] = (200, {}, WAV_HEAD)
    with pytest.raises(DownloadError, match="expected MP3 audio, the content is WAV"):
        fetch_result(url_result(base + "/a1.mp3"), tmp_path / "x.mp3", expected_format="mp3",
                     session=session)
    assert list(tmp_path.iterdir()) == []


def test_size_cap_by_header_and_by_count(host: Any, session: requests.Session,
                                         tmp_path: Path) -> None:
    base, handler = host
    handler.routes["/big"] = (200, {}, MP3_HEAD)
    with pytest.raises(DownloadError, match="limit"):
        fetch_result(url_result(base + "/big"), tmp_path / "x.mp3", expected_format="MP3",
                     session=session, max_bytes=100)
    handler.routes["/chunked"] = (200, {"Transfer-Encoding": "chunked"},
                                  b"%x\r\n%s\r\n0\r\n\r\n" % (len(MP3_HEAD), MP3_HEAD))
    with pytest.raises(DownloadError, match="limit"):
        fetch_result(url_result(base + "/chunked"), tmp_path / "x.mp3", expected_format="MP3",
                     session=session, max_bytes=100)
    assert list(tmp_path.iterdir()) == []


def test_truncated_body_is_retried_then_fails(host: Any, session: requests.Session,
                                              tmp_path: Path) -> None:
    base, handler = host
    handler.routes["/short"] = (200, {"Content-Length": str(len(MP3_HEAD) + 500)}, MP3_HEAD)
    with pytest.raises(DownloadError, match="truncated|broken"):
        fetch_result(url_result(base + "/short"), tmp_path / "x.mp3", expected_format="MP3",
                     session=session, retries=1)
    assert len(handler.seen) == 2  # one retry
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["dataURI", "base64Data"])
def test_inline_results(kind: str, tmp_path: Path, session: requests.Session) -> None:
    b64 = base64.b64encode(MP3_HEAD).decode()
    item = {"taskUUID": "t", "audioUUID": "a"}
    item["audioDataURI" if kind == "dataURI" else "audioBase64Data"] = (
        f"data:audio/mpeg;base64,{b64}" if kind == "dataURI" else b64)
    result = generation_from_item(item)
    assert result.output_type == kind
    dest = fetch_result(result, tmp_path / "x.mp3", expected_format="MP3", session=session)
    assert dest.read_bytes() == MP3_HEAD
    with pytest.raises(DownloadError, match="expected FLAC"):
        fetch_result(result, tmp_path / "y.flac", expected_format="FLAC", session=session)
    assert not (tmp_path / "y.flac").exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("item", "match"),
    [
        ({"audioDataURI": "data:audio/mpeg,notbase64"}, "not a base64 data URI"),
        ({"audioBase64Data": "!!!not base64!!!"}, "not valid base64"),
        ({"status": "success"}, "has no audioURL"),
        ({"audioBase64Data": "QUJD" * 100}, "larger than"),
    ],
)
def test_bad_inline_data(item: dict, match: str) -> None:
    with pytest.raises(DownloadError, match=match):
        decode_inline(generation_from_item({"taskUUID": "t", **item}), max_bytes=100)


# ------------------------------------------------------------------------- sandbox faults


def _one_url_result(client: Any, song_wav: bytes, make_task: Callable[..., dict]) -> Any:
    media = client.upload_media(song_wav, mime="audio/wav").media_uuid
    return client.run(make_task(media)).results[0]


def test_sandbox_result_downloads(client: Any, song_wav: bytes, make_task: Any,
                                  tmp_path: Path) -> None:
    result = _one_url_result(client, song_wav, make_task)
    path = client.fetch(result, tmp_path / "cover.mp3", expected_format="MP3")
    assert path.stat().st_size > 1000


@pytest.mark.parametrize(("times", "ok"), [(1, True), (2, False)])
def test_sandbox_truncated_download(make_sandbox: Any, make_client: Any, song_wav: bytes,
                                    make_task: Any, tmp_path: Path, times: int,
                                    ok: bool) -> None:
    from minimax_cover.plugin.sandbox import Fault

    sb = make_sandbox(faults=[Fault("truncate_download", times=times)])
    client = make_client(sb)
    result = _one_url_result(client, song_wav, make_task)
    dest = tmp_path / "cover.mp3"
    if ok:  # one truncated transfer is retried once
        assert client.fetch(result, dest, expected_format="MP3").exists()
    else:
        with pytest.raises(DownloadError, match="truncated|broken"):
            client.fetch(result, dest, expected_format="MP3")
        assert list(tmp_path.iterdir()) == []


def test_sandbox_expired_url(make_sandbox: Any, make_client: Any, song_wav: bytes,
                             make_task: Any, tmp_path: Path) -> None:
    from minimax_cover.plugin.sandbox import Fault

    sb = make_sandbox(faults=[Fault("expire_url")])
    client = make_client(sb)
    result = _one_url_result(client, song_wav, make_task)
    with pytest.raises(NotFoundError, match="expired"):
        client.fetch(result, tmp_path / "cover.mp3", expected_format="MP3")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------- issue 17


def test_body_longer_than_content_length_is_not_saved(host: Any, session: requests.Session,
                                                      tmp_path: Path) -> None:
    base, handler = host  # declares 60 %: the client reads 60 %, which does not decode
    handler.routes["/lie"] = (200, {"Content-Length": str(len(MP3_HEAD) * 6 // 10)}, MP3_HEAD)
    with pytest.raises(DownloadError, match="content check failed") as info:
        fetch_result(url_result(base + "/lie"), tmp_path / "x.mp3", expected_format="MP3",
                     session=session)
    assert type(info.value) is DownloadError and info.value.task_uuid == "t"
    assert list(tmp_path.iterdir()) == []


def test_stale_part_files_are_cleaned_by_the_next_save(host: Any, session: requests.Session,
                                                       tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = [tmp_path / f".x.mp3.{dead}-deadbeef.part", tmp_path / ".x.mp3.0a1b2c3d.part"]
    live = tmp_path / f".x.mp3.{os.getppid()}-cafebabe.part"  # a live process: kept
    other = tmp_path / f".y.mp3.{dead}-deadbeef.part"  # another file's: kept
    for path in (*stale, live, other):
        path.write_bytes(b"half")
    base, handler = host
    handler.routes["/a1.mp3"] = (200, {}, MP3_HEAD)
    fetch_result(url_result(base + "/a1.mp3"), tmp_path / "x.mp3", expected_format="MP3",
                 session=session)
    assert not any(p.exists() for p in stale)
    assert live.exists() and other.exists()
    assert (tmp_path / "x.mp3").read_bytes() == MP3_HEAD


def test_spooled_inline_result_is_decoded_piece_by_piece(session: requests.Session,
                                                         tmp_path: Path) -> None:
    import json

    from minimax_cover.plugin.transport.jsonstream import AnswerLimits, SpooledText, parse_stream

    b64 = base64.b64encode(MP3_HEAD).decode()
    escaped = json.dumps({"taskUUID": "t", "audioUUID": "a",
                          "audioDataURI": "data:audio/mpeg;base64," + b64}).replace("/", "\\/")
    item = parse_stream([escaped.encode()], AnswerLimits(spool_bytes=64)).doc
    result = generation_from_item(item)
    assert isinstance(result.data_uri, SpooledText)
    dest = fetch_result(result, tmp_path / "x.mp3", expected_format="MP3", session=session)
    assert dest.read_bytes() == MP3_HEAD
    with pytest.raises(DownloadError, match="larger than the 100 byte limit"):
        decode_inline(result, max_bytes=100)


def test_data_after_padding_is_refused() -> None:
    b64 = base64.b64encode(b"abcde").decode()  # ends with "="
    chunked = b64 + "QUJD" * 100_000  # a second piece after the padding
    with pytest.raises(DownloadError, match="after the padding|not valid base64"):
        decode_inline(generation_from_item({"taskUUID": "t", "audioBase64Data": chunked}))
