"""The batch's shared session reads the proxy environment once per origin, with the same result."""

from __future__ import annotations

import pytest
import requests
from minimax_cover.plugin.transport.session import EnvironmentOnceSession


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/v1", "http://example.invalid/x.wav",
                                 "https://api.example.invalid/v1"])
def test_merged_settings_match_requests(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3129")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/tmp/ca.pem")
    ours, theirs = EnvironmentOnceSession(), requests.Session()
    for _ in range(2):  # the second answer comes from the cache
        for proxies in ({}, {"no_proxy": "example.invalid"}):
            got = ours.merge_environment_settings(url, dict(proxies), None, None, None)
            want = theirs.merge_environment_settings(url, dict(proxies), None, None, None)
            assert got == want
    assert ours.merge_environment_settings(url, {}, None, False, None)["verify"] is False


def test_trust_env_off_reads_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    s = EnvironmentOnceSession()
    s.trust_env = False
    assert s.merge_environment_settings("http://127.0.0.1/", {}, None, None, None)["proxies"] == {}
