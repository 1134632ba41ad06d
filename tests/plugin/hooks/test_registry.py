"""The plugin registry: order, firstresult, wrappers, isolation, loading rules, independence."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pluggy
import pytest
from minimax_cover.plugin.errors import PluginError
from minimax_cover.plugin.hooks import registry as registry_mod
from minimax_cover.plugin.hooks.registry import BUILTIN_PLUGINS, get_registry, make_registry
from minimax_cover.plugin.hooks.specs import hookimpl
from minimax_cover.plugin.hooks.types import JobContext
from minimax_cover.plugin.spec.model import MINIMAX_MUSIC_COVER, Field


def _ctx(reg: Any) -> JobContext:
    return JobContext(spec=MINIMAX_MUSIC_COVER, registry=reg, output_dir=Path("."))


def _request() -> dict[str, Any]:
    return {"positivePrompt": "warm acoustic folk", "numberResults": 1,
            "inputs": {"audio": "https://example.invalid/song.mp3"}}


# --------------------------------------------------------------------------- built-ins


def test_builtins_are_registered_and_marked() -> None:
    reg = make_registry(entry_points=False)
    infos = {i.name: i for i in reg.list_plugins()}
    for name, _dotted, _required in BUILTIN_PLUGINS:
        assert infos[name].builtin and infos[name].error is None
    assert "minimax_backend" in infos
    assert {"runware", "minimax"} <= set(reg.backends)


def test_third_party_is_called_before_builtins() -> None:
    calls: list[str] = []

    class Plugin:
        @hookimpl
        def choose_backend(self, request: dict[str, Any], context: Any) -> None:
            calls.append("plugin")

    reg = make_registry(entry_points=False, plugins=[Plugin()])
    impls = [i.plugin_name for i in reg.hook.choose_backend.get_hookimpls()]
    assert impls[-1] != "runware_backend"  # pluggy calls the last one first
    assert reg.hook.choose_backend(request=_request(), context=_ctx(reg)) == "runware"
    assert calls == ["plugin"]


# --------------------------------------------------------------------------- firstresult


def test_choose_backend_first_non_none_wins() -> None:
    class Picky:
        @hookimpl
        def choose_backend(self, request: dict[str, Any], context: Any) -> str:
            return "minimax"

    reg = make_registry(entry_points=False, plugins=[Picky()])
    assert reg.hook.choose_backend(request=_request(), context=_ctx(reg)) == "minimax"


def test_choose_backend_builtin_answer_when_nobody_answers() -> None:
    reg = make_registry(entry_points=False)
    ctx = _ctx(reg)
    assert reg.hook.choose_backend(request=_request(), context=ctx) == "runware"
    ctx.extra["backend_hint"] = "minimax"
    assert reg.hook.choose_backend(request=_request(), context=ctx) == "minimax"


def test_stage_audio_first_non_none_wins() -> None:
    seen: list[str] = []

    class Passes:
        @hookimpl
        def stage_audio(self, source: Any, backend: Any, context: Any) -> None:
            seen.append("passes")

    class Stager:
        @hookimpl
        def stage_audio(self, source: Any, backend: Any, context: Any) -> str:
            seen.append("stager")
            return "https://cdn.example.invalid/staged.mp3"

    reg = make_registry(entry_points=False, plugins=[Stager(), Passes()])
    out = reg.hook.stage_audio(source=b"raw", backend=object(), context=_ctx(reg))
    assert out == "https://cdn.example.invalid/staged.mp3"
    assert seen == ["passes", "stager"]  # the built-in (trylast) upload never ran


def test_stage_audio_builtin_passes_urls_through() -> None:
    reg = make_registry(entry_points=False)
    url = "https://example.invalid/song.mp3"
    assert reg.hook.stage_audio(source=url, backend=object(), context=_ctx(reg)) == url


# --------------------------------------------------------------------------- prepare_request


def test_prepare_request_wrapper_mutates() -> None:
    class Doubler:
        @hookimpl(wrapper=True)
        def prepare_request(self, request: dict[str, Any], context: Any) -> Any:
            request["numberResults"] = 2
            result = yield
            request["seed"] = 7
            return result

    reg = make_registry(entry_points=False, plugins=[Doubler()])
    req = _request()
    reg.hook.prepare_request(request=req, context=_ctx(reg))
    assert req["numberResults"] == 2 and req["seed"] == 7


def test_prepare_request_refusal_sends_nothing(song_wav: bytes, tmp_path: Path) -> None:
    from minimax_cover.plugin.jobs.pipeline import cover
    from minimax_cover.plugin.sandbox.minimax_server import MiniMaxSandbox

    class Guard:
        @hookimpl(wrapper=True)
        def prepare_request(self, request: dict[str, Any], context: Any) -> Any:
            yield
            raise PluginError("refused by the guard")

    reg = make_registry(entry_points=False, plugins=[Guard()])
    with MiniMaxSandbox(banner=False) as sb:
        backend = reg.backend("minimax", api_key=sb.api_key, base_url=sb.url)
        handle = backend.preprocess(song_wav)
        backend.close()
        with pytest.raises(PluginError, match="refused by the guard"):
            cover(handle, prompt="warm acoustic folk cover", registry=reg, journal=False,
                  backend_options={"api_key": sb.api_key, "base_url": sb.url},
                  output_dir=tmp_path)
        assert sb.generations == []
    assert not list(tmp_path.iterdir())


# --------------------------------------------------------------------------- isolation


def test_on_result_failures_are_isolated() -> None:
    received: list[str] = []

    class Broken:
        @hookimpl
        def on_result(self, output: Any, context: Any) -> None:
            raise RuntimeError("sink down")

    class Fine:
        @hookimpl
        def on_result(self, output: Any, context: Any) -> None:
            received.append(output)

    reg = make_registry(entry_points=False)
    reg.register(Fine(), name="fine")
    reg.register(Broken(), name="broken")
    problems = reg.call_isolated("on_result", output="o1", context=_ctx(reg))
    assert received == ["o1"]
    assert len(problems) == 1 and "'broken'" in problems[0] and "sink down" in problems[0]


# --------------------------------------------------------------------------- duplicates


def test_duplicate_backend_name_names_the_plugin() -> None:
    class Clash:
        @hookimpl
        def register_backends(self, register: Any) -> None:
            register("runware", object)

    reg = make_registry(entry_points=False)
    reg.register(Clash(), name="clash")
    with pytest.raises(PluginError, match="'clash'.*'runware' is already registered"):
        _ = reg.backends


def test_duplicate_model_names_both_plugins() -> None:
    class Clash:
        @hookimpl
        def register_models(self, register: Any) -> None:
            register(MINIMAX_MUSIC_COVER)

    reg = make_registry(entry_points=False)
    reg.register(Clash(), name="clash")
    with pytest.raises(PluginError, match="'clash'.*already registered by 'cover_model'"):
        _ = reg.models


def test_register_models_rejects_wrong_type() -> None:
    class Wrong:
        @hookimpl
        def register_models(self, register: Any) -> None:
            register({"model_id": "x"})

    reg = make_registry(entry_points=False, plugins=[Wrong()])
    with pytest.raises(PluginError, match="expects a ModelSpec"):
        _ = reg.models


# --------------------------------------------------------------------------- a second model


def _second_spec() -> Any:
    fields = tuple(
        dataclasses.replace(f, const="acme:music@cover-2") if f.name == "model" else f
        for f in MINIMAX_MUSIC_COVER.fields
    ) + (Field("mood", "settings", "string", "Overall mood of the cover.", "settings",
               enum=("happy", "sad")),)
    return dataclasses.replace(MINIMAX_MUSIC_COVER, model_id="acme:music@cover-2",
                               slug="acme-cover-2", name="Acme Cover 2", fields=fields)


def test_second_model_gets_schema_validator_and_cli_without_code() -> None:
    import argparse

    from minimax_cover.plugin.cli.common import resolve_spec
    from minimax_cover.plugin.cli.options import add_schema_options, collect_schema_options
    from minimax_cover.plugin.errors import SpecValidationError
    from minimax_cover.plugin.spec.schema import build_request_schema
    from minimax_cover.plugin.spec.validation import validate_request

    spec = _second_spec()

    class Acme:
        @hookimpl
        def register_models(self, register: Any) -> None:
            register(spec)

    get_registry().register(Acme(), name="acme")
    assert resolve_spec("acme:music@cover-2") is spec
    assert list(get_registry().models) == ["minimax:music@cover", "acme:music@cover-2"]

    schema = build_request_schema(spec)
    assert schema["properties"]["settings"]["properties"]["mood"]["enum"] == ["happy", "sad"]
    task = {"taskType": "audioInference", "model": "acme:music@cover-2",
            "positivePrompt": "warm acoustic folk", "inputs": {"audio": "https://e.x/a.mp3"},
            "settings": {"mood": "happy"}}
    assert validate_request(task, spec)["settings"]["mood"] == "happy"
    with pytest.raises(SpecValidationError) as err:
        validate_request({**task, "settings": {"mood": "angry"}}, spec)
    assert err.value.parameters == ["settings.mood"]

    parser = argparse.ArgumentParser()
    add_schema_options(parser, spec)
    args = parser.parse_args(["--mood", "sad", "--prompt", "warm acoustic folk"])
    assert collect_schema_options(args)["settings"] == {"mood": "sad"}

    # the CLI grows a `cover-<slug>` command for it, options from its schema
    from minimax_cover.plugin.cli import build_parser

    cli = build_parser().parse_args(["cover-acme-cover-2", "song.mp3", "--mood", "happy",
                                     "--prompt", "warm acoustic folk"])
    assert cli.spec is spec and cli.spec__settings__mood == "happy"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["cover", "song.mp3", "--mood", "happy"])  # not the built-in's

    # and a ComfyUI node with a widget for the new field
    from minimax_cover.nodes import node_table

    [row] = [r for r in node_table(get_registry()) if r.node_id != "MiniMaxMusicCover"
             and getattr(r.cls, "SPEC", None) is spec]
    inputs = row.cls.INPUT_TYPES()
    choices, _ = {**inputs["required"], **inputs["optional"]}["mood"]
    assert choices == ["auto", "happy", "sad"]  # not required: "auto" leaves it unset


# --------------------------------------------------------------------------- entry points


@pytest.fixture
def fake_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A distribution on sys.path with entry points: good, broken (import raises), typo."""
    site = tmp_path / "site"
    site.mkdir()
    tag = tmp_path.name.replace("-", "_").lower()[-12:]
    names = {k: f"mcx_{k}_{tag}" for k in ("good", "broken", "typo")}
    (site / f"{names['good']}.py").write_text(textwrap.dedent("""
        from minimax_cover.plugin.hooks.specs import hookimpl

        @hookimpl
        def register_backends(register):
            register("good-backend", dict)
    """))
    (site / f"{names['broken']}.py").write_text("raise ImportError('boom: missing dependency')\n")
    (site / f"{names['typo']}.py").write_text(textwrap.dedent("""
        from minimax_cover.plugin.hooks.specs import hookimpl

        @hookimpl
        def on_reslt(output, context):
            pass
    """))
    info = site / "mcx_fake-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mcx-fake\nVersion: 1.2.3\n")
    (info / "entry_points.txt").write_text(
        "[minimax_cover]\n" + "".join(f"{k} = {v}\n" for k, v in names.items()))
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv("MINIMAX_COVER_LOAD_PLUGINS", raising=False)
    for module in names.values():
        monkeypatch.delitem(sys.modules, module, raising=False)
    return site


def _only_fake(monkeypatch: pytest.MonkeyPatch, names: str = "good,broken,typo") -> None:
    monkeypatch.setenv("MINIMAX_COVER_LOAD_PLUGINS", names)


def test_broken_plugin_is_reported_and_others_load(
    fake_dist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _only_fake(monkeypatch)
    reg = make_registry()
    infos = {i.name: i for i in reg.list_plugins()}
    assert infos["good"].error is None and infos["good"].version == "1.2.3"
    assert infos["good"].dist == "mcx-fake" and "register_backends" in infos["good"].hooks
    assert "boom: missing dependency" in infos["broken"].error
    assert {f.name for f in reg.failures} == {"broken", "typo"}
    assert "good-backend" in reg.backends and "runware" in reg.backends


def test_check_pending_catches_misspelled_hookimpl(
    fake_dist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _only_fake(monkeypatch, "typo")
    reg = make_registry()
    [failure] = reg.failures
    assert failure.name == "typo" and "on_reslt" in str(failure)
    assert reg.pm.get_plugin("typo") is None

    class Typo:
        @hookimpl
        def on_job_dne(self, result: Any, context: Any) -> None: ...

    with pytest.raises(pluggy.PluginValidationError, match="on_job_dne"):
        make_registry(entry_points=False, plugins=[Typo()])


def test_load_plugins_env(fake_dist: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _only_fake(monkeypatch, "good")
    assert {i.name for i in make_registry().list_plugins() if not i.builtin} == {"good"}
    monkeypatch.setenv("MINIMAX_COVER_LOAD_PLUGINS", "")
    assert [i for i in make_registry().list_plugins() if not i.builtin] == []
    monkeypatch.delenv("MINIMAX_COVER_LOAD_PLUGINS")
    names = {i.name for i in make_registry().list_plugins() if not i.builtin}
    assert {"good", "broken", "typo"} <= names


def test_block_plugins_env(fake_dist: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _only_fake(monkeypatch)
    monkeypatch.setenv("MINIMAX_COVER_BLOCK_PLUGINS", "good,broken")
    reg = make_registry()
    names = {i.name for i in reg.list_plugins()}
    assert "good" not in names and "broken" not in names and "typo" in names
    assert reg.pm.is_blocked("good")
    monkeypatch.setenv("MINIMAX_COVER_BLOCK_PLUGINS", "*")
    assert not [i for i in make_registry().list_plugins() if not i.builtin]


def test_blocking_builtins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINIMAX_COVER_BLOCK_PLUGINS", "minimax_backend,runware_backend")
    reg = make_registry()
    assert "minimax" not in reg.backends  # optional built-in: blocked
    assert "runware" in reg.backends  # required built-in: cannot be blocked


# --------------------------------------------------------------------------- independence


def test_make_registry_instances_are_independent() -> None:
    class Extra:
        @hookimpl
        def register_backends(self, register: Any) -> None:
            register("extra", dict)

    a = make_registry(entry_points=False)
    b = make_registry(entry_points=False, plugins=[Extra()])
    assert "extra" in b.backends and "extra" not in a.backends
    assert a.pm is not b.pm


def test_get_registry_is_shared_and_resettable() -> None:
    first = get_registry()
    assert get_registry() is first
    registry_mod.reset_registry()
    assert get_registry() is not first


def test_import_scans_no_entry_points() -> None:
    code = textwrap.dedent("""
        import importlib.metadata as md
        calls = []
        real = md.entry_points
        def counting(*a, **k):
            calls.append((a, k))
            return real(*a, **k)
        md.entry_points = counting
        import minimax_cover
        from minimax_cover import hookimpl
        from minimax_cover.plugin.hooks import registry
        from minimax_cover.plugin.hooks import specs as hookspecs
        from minimax_cover.plugin.jobs import pipeline
        assert registry._shared is None, "a registry was built at import"
        assert not calls, calls
        registry.get_registry()
        assert calls, "first access should load entry points"
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
