"""The two-step workflow as a user runs it, against a MiniMax-compatible double with a key.

The double is the MiniMax sandbox with its label off (``labelled=False``): it answers like
MiniMax, over real loopback HTTP, and does not say it is the built-in sandbox, so nothing may
be labelled sandbox.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from minimax_cover.plugin.cli import main
from minimax_cover.plugin.sandbox.minimax_server import MiniMaxFault, MiniMaxSandbox

MM_KEY = "mm-FAKEKEY-2d9b6c41-dont-leak"
PROMPT = "warm acoustic folk, fingerpicked guitar"
EDITED = "[Verse]\nmy own words, written again\n\n[Chorus]\nsing it back to me"


@pytest.fixture
def double(monkeypatch: pytest.MonkeyPatch) -> Iterator[MiniMaxSandbox]:
    """A MiniMax-compatible endpoint with a key, not labelled as the sandbox."""
    sb = MiniMaxSandbox(api_key=MM_KEY, banner=False, labelled=False).start()
    monkeypatch.setenv("MINIMAX_API_URL", sb.url)
    monkeypatch.setenv("MINIMAX_API_KEY", MM_KEY)
    yield sb
    sb.stop()


@pytest.fixture
def song(tmp_path: Path, song_wav: bytes) -> Path:
    path = tmp_path / "song.wav"
    path.write_bytes(song_wav)
    return path


def _preprocess(song: Path, *extra: str) -> int:
    return main(["preprocess", str(song), *extra])


def test_same_song_twice_is_one_preprocess(double: MiniMaxSandbox, song: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert _preprocess(song, "-o", str(tmp_path / "h1.json")) == 0
    first = capsys.readouterr()
    assert "reused" not in first.err
    assert _preprocess(song, "-o", str(tmp_path / "h2.json")) == 0
    second = capsys.readouterr()
    assert len(double.preprocesses) == 1
    assert "reused handle from" in second.err and "valid until tomorrow" in second.err
    h1, h2 = (json.loads((tmp_path / n).read_text()) for n in ("h1.json", "h2.json"))
    assert h1["feature_id"] == h2["feature_id"]
    assert h1["song_path"] == str(song.resolve()) and len(h1["content_hash"]) == 64
    assert "SANDBOX" not in first.err + second.err and h1["sandbox"] is False
    for text in (first.out, first.err, second.out, second.err):
        assert MM_KEY not in text


def test_fresh_asks_again(double: MiniMaxSandbox, song: Path) -> None:
    assert _preprocess(song) == 0
    assert _preprocess(song, "--fresh") == 0
    assert len(double.preprocesses) == 2


def test_refresh_margin_setting(double: MiniMaxSandbox, song: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    assert _preprocess(song) == 0
    monkeypatch.setenv("MINIMAX_COVER_PREPROCESS_REFRESH_MIN", "1440")  # never live enough
    assert _preprocess(song) == 0
    assert len(double.preprocesses) == 2
    monkeypatch.setenv("MINIMAX_COVER_PREPROCESS_REFRESH_MIN", "soon")
    assert _preprocess(song) == 2  # a usage error naming the setting


def test_cache_key_holds_endpoint_and_key(double: MiniMaxSandbox, song: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    assert _preprocess(song) == 0
    other = MiniMaxSandbox(api_key="mm-other-key-123456", banner=False, labelled=False).start()
    try:
        monkeypatch.setenv("MINIMAX_API_URL", other.url)
        monkeypatch.setenv("MINIMAX_API_KEY", "mm-other-key-123456")
        assert _preprocess(song) == 0
        assert len(other.preprocesses) == 1
    finally:
        other.stop()


def test_cover_with_edited_lyrics_rides_out_1002(double: MiniMaxSandbox, song: Path,
                                                 tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    handle = tmp_path / "handle.json"
    lyrics = tmp_path / "edited.txt"
    assert _preprocess(song, "-o", str(handle)) == 0
    lyrics.write_text(EDITED + "\n", encoding="utf-8")
    double.inject(1002, "generation")
    capsys.readouterr()
    code = main(["cover", "--preprocess", str(handle), "--lyrics-file", str(lyrics),
                 "--prompt", PROMPT, "-o", str(tmp_path / "out"), "--no-progress", "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    doc = json.loads(out.out)
    fid = json.loads(handle.read_text())["feature_id"]
    assert len(double.generations) == 2  # one 1002, then the one that ran
    for body in double.generations:
        assert body["cover_feature_id"] == fid and body["lyrics"] == EDITED
    assert len(double.preprocesses) == 1
    assert [p.name for p in (tmp_path / "out").iterdir()] == [Path(doc["outputs"][0]["path"]).name]
    assert doc["sandbox"] is False and "SANDBOX" not in out.err + out.out
    assert doc["backend"] == "minimax"


def test_unknown_handle_with_song_at_hand(double: MiniMaxSandbox, song: Path,
                                          tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    handle = tmp_path / "handle.json"
    assert _preprocess(song, "-o", str(handle)) == 0
    double.forget()  # MiniMax no longer knows the feature id: 2013 naming cover_feature_id
    code = main(["cover", "--preprocess", str(handle), "--prompt", PROMPT,
                 "-o", str(tmp_path / "out"), "--no-progress"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "was preprocessed again" in out.out and "not charged" in out.out
    assert len(double.preprocesses) == 2  # one new preprocess
    assert len(list((tmp_path / "out").iterdir())) == 1
    assert len(double.generations) == 2  # the refused one (unpaid) and the one that ran


def test_unknown_handle_song_gone_names_the_fix(double: MiniMaxSandbox, song: Path,
                                                tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    handle = tmp_path / "handle.json"
    assert _preprocess(song, "-o", str(handle)) == 0
    double.forget()
    song.write_bytes(song.read_bytes()[:-4000])  # the path no longer holds the same song
    capsys.readouterr()
    code = main(["cover", "--preprocess", str(handle), "--prompt", PROMPT,
                 "-o", str(tmp_path / "out"), "--no-progress", "-q"])
    err = capsys.readouterr().err
    assert code != 0
    assert "minimax-cover preprocess" in err and "cover_feature_id" in err
    assert "Traceback" not in err
    assert len(double.preprocesses) == 1


def test_expired_handle_is_renewed_before_sending(double: MiniMaxSandbox, song: Path,
                                                  tmp_path: Path) -> None:
    handle = tmp_path / "handle.json"
    assert _preprocess(song, "-o", str(handle)) == 0
    doc = json.loads(handle.read_text())
    doc["created_at"] -= 25 * 3600  # past its 24 h
    handle.write_text(json.dumps(doc))
    double.forget()
    assert main(["cover", "--preprocess", str(handle), "--prompt", PROMPT, "--number-results",
                 "2", "-o", str(tmp_path / "out"), "--no-progress", "-q"]) == 0
    assert len(double.generations) == 2  # the dead handle was never sent; renewed once
    assert len(double.preprocesses) == 2
    assert len(list((tmp_path / "out").iterdir())) == 2


def test_insufficient_balance_is_one_line(double: MiniMaxSandbox, song: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    handle = tmp_path / "handle.json"
    assert _preprocess(song, "-o", str(handle)) == 0
    double.faults.append(MiniMaxFault(1008, "generation"))
    capsys.readouterr()
    code = main(["cover", "--preprocess", str(handle), "--prompt", PROMPT,
                 "-o", str(tmp_path / "out"), "--no-progress", "-q"])
    err = capsys.readouterr().err
    assert code != 0
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err  # one message: the refused task needs no look-up line
    assert "balance is too low" in lines[0] and "Traceback" not in err
    assert MM_KEY not in err


def test_lyrics_skeleton(double: MiniMaxSandbox, song: Path, tmp_path: Path) -> None:
    out = tmp_path / "skeleton.txt"
    assert _preprocess(song, "--lyrics-skeleton", str(out)) == 0
    assert out.read_text().split() == ["[Intro]", "[Verse]", "[Chorus]", "[Outro]"]


def test_song_through_minimax_reuses_the_cached_handle(double: MiniMaxSandbox, song: Path,
                                                       tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    """A two-step cover of a song (not a handle): preprocessed once across runs."""
    for n in range(2):
        assert main(["cover", str(song), "--backend", "minimax", "--prompt", PROMPT,
                     "-o", str(tmp_path / f"out{n}"), "--no-progress"]) == 0
    assert len(double.preprocesses) == 1 and len(double.generations) == 2
    assert "two-step: reused handle from" in capsys.readouterr().out


def test_journal_holds_no_key(double: MiniMaxSandbox, song: Path, isolated_env: Path) -> None:
    assert _preprocess(song) == 0
    for path in (isolated_env / "data").rglob("*"):
        if path.is_file():
            assert MM_KEY.encode() not in path.read_bytes()


def test_dry_run_and_spend_name_minimax_and_its_price(double: MiniMaxSandbox, song: Path,
                                                      tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    assert main(["cover", str(song), "--backend", "minimax", "--prompt", PROMPT,
                 "--number-results", "2", "--dry-run", "--json"]) == 0
    quote = json.loads(capsys.readouterr().out)
    assert quote["estimatedCost"] == pytest.approx(0.30)
    assert "estimate" in quote["priceSource"] and double.requests == []  # nothing sent
    assert main(["cover", str(song), "--backend", "minimax", "--prompt", PROMPT,
                 "-o", str(tmp_path / "out"), "--no-progress"]) == 0
    summary = capsys.readouterr().out
    assert "~$0.1500 on minimax" in summary and "estimate" in summary
    assert main(["spend", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    [job] = report["jobs"]
    assert job["provider"] == "minimax" and job["costUsd"] == pytest.approx(0.15)
    assert job["costKind"] == "estimated"


def test_pages_draw_the_sections_over_the_source(double: MiniMaxSandbox, song: Path,
                                                 tmp_path: Path) -> None:
    handle = tmp_path / "handle.json"
    assert _preprocess(song, "-o", str(handle)) == 0
    out = tmp_path / "out"
    assert main(["cover", "--preprocess", str(handle), "--prompt", PROMPT, "-o", str(out),
                 "--no-progress", "-q", "--compare"]) == 0
    [page] = out.glob("*_compare.html")
    text = page.read_text()
    assert 'data-kind="source"' in text  # the handle's song is at hand: it gets a player
    assert "~$0.15 (MiniMax price setting (estimate" in text  # the provider and its price
    labels = [chunk.split('"', 1)[0] for chunk in text.split('class="section" data-label="')[1:]]
    assert labels == ["intro", "verse", "chorus", "outro"]
    [take] = [p for p in out.iterdir() if p.suffix == ".mp3"]
    plain = tmp_path / "plain.html"
    assert main(["compare", str(song), str(take), "-o", str(plain)]) == 0
    assert plain.read_text().count('class="section"') == 4  # known from the cache
    assert main(["compare", str(take), str(take), "-o", str(tmp_path / "o.html")]) == 0
    assert 'class="section"' not in (tmp_path / "o.html").read_text()  # never analysed


def test_sandbox_runs_share_the_cache(song: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No key: each run starts the built-in sandbox on a new port; its handles are reused."""
    assert _preprocess(song) == 0
    assert "reused" not in capsys.readouterr().err
    assert _preprocess(song) == 0
    err = capsys.readouterr().err
    assert "SANDBOX" in err and "reused handle from" in err
