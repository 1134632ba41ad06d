"""The plugin registry: order, firstresult, wrappers, isolation, tracing, loading rules,
independence. Every hook goes through pluggy (``pm.hook``), ``register_*`` included."""

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
    # nothing in the output folder (``data`` is the test's user data dir: the preprocess cache)
    assert [p.name for p in tmp_path.iterdir()] in ([], ["data"])


# --------------------------------------------------------------------------- isolation


SANDBOX_KEY = "mm-registry-FAKEKEY-24680"


def _cover_in_sandbox(reg: Any, song_wav: bytes, tmp_path: Path) -> Any:
    """One MiniMax-sandbox job through the real pipeline; returns ``(result, api_key)``."""
    from minimax_cover.plugin.jobs.pipeline import cover
    from minimax_cover.plugin.sandbox.minimax_server import MiniMaxSandbox

    with MiniMaxSandbox(api_key=SANDBOX_KEY, banner=False) as sb:
        backend = reg.backend("minimax", api_key=sb.api_key, base_url=sb.url)
        handle = backend.preprocess(song_wav)
        backend.close()
        result = cover(handle, prompt="warm acoustic folk cover", registry=reg, journal=False,
                       backend_options={"api_key": sb.api_key, "base_url": sb.url},
                       output_dir=tmp_path)
        return result, sb.api_key


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


def test_on_job_done_wrapper_runs_around_the_others() -> None:
    calls: list[str] = []

    class Ledger:
        @hookimpl(wrapper=True)
        def on_job_done(self, result: Any, context: Any) -> Any:
            calls.append("ledger: before")
            outcome = yield
            calls.append(f"ledger: after, saw {sorted(context.extra)}")
            return outcome

    class Sink:
        @hookimpl
        def on_job_done(self, result: Any, context: Any) -> None:
            calls.append("sink")
            context.extra["sink.done"] = True

    class Broken:
        @hookimpl
        def on_job_done(self, result: Any, context: Any) -> None:
            calls.append("broken")
            raise OSError("disk full")

    reg = make_registry(entry_points=False)
    reg.register(Ledger(), name="ledger")  # registered first, still outermost
    reg.register(Sink(), name="sink")
    reg.register(Broken(), name="broken")
    problems = reg.call_isolated("on_job_done", result="r", context=_ctx(reg))
    assert calls == ["ledger: before", "broken", "sink", "ledger: after, saw ['sink.done']"]
    assert problems == ["plugin 'broken' failed in on_job_done: OSError: disk full"]


def test_failing_wrappers_are_isolated_too(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []

    class Early:
        @hookimpl(wrapper=True)
        def on_job_done(self, result: Any, context: Any) -> Any:
            raise ValueError("before yield")
            yield  # pragma: no cover

    class Late:
        @hookimpl(wrapper=True)
        def on_result(self, output: Any, context: Any) -> Any:
            yield
            raise KeyError("after yield")

    class Sink:
        @hookimpl
        def on_job_done(self, result: Any, context: Any) -> None:
            calls.append("job")

        @hookimpl
        def on_result(self, output: Any, context: Any) -> None:
            calls.append("result")

    reg = make_registry(entry_points=False)
    for name, plugin in (("sink", Sink()), ("early", Early()), ("late", Late())):
        reg.register(plugin, name=name)
    [job] = reg.call_isolated("on_job_done", result="r", context=_ctx(reg))
    [res] = reg.call_isolated("on_result", output="o", context=_ctx(reg))
    assert calls == ["job", "result"]  # the inner implementations ran anyway
    assert job == "plugin 'early' failed in on_job_done: ValueError: before yield"
    assert res.startswith("plugin 'late' failed in on_result: KeyError")
    assert [r.levelname for r in caplog.records if "failed in" in r.getMessage()] == \
        ["WARNING", "WARNING"]


def test_call_isolated_refuses_other_hooks() -> None:
    reg = make_registry(entry_points=False)
    with pytest.raises(PluginError, match="'stage_audio' is not an isolated hook"):
        reg.call_isolated("stage_audio", source="x", backend=None, context=_ctx(reg))


def test_failing_on_job_done_becomes_a_cover_warning(song_wav: bytes, tmp_path: Path) -> None:
    seen: list[str] = []

    class Broken:
        @hookimpl
        def on_job_done(self, result: Any, context: Any) -> None:
            raise RuntimeError("webhook unreachable")

        @hookimpl
        def on_result(self, output: Any, context: Any) -> None:
            raise RuntimeError("uploader down")

    class Fine:
        @hookimpl
        def on_job_done(self, result: Any, context: Any) -> None:
            seen.append(result.task_uuid)

    class Outer:
        @hookimpl(wrapper=True)
        def on_job_done(self, result: Any, context: Any) -> Any:
            outcome = yield
            seen.append("outer")
            return outcome

    reg = make_registry(entry_points=False)
    reg.register(Outer(), name="outer")
    reg.register(Fine(), name="fine")
    reg.register(Broken(), name="broken-sink")
    result, _key = _cover_in_sandbox(reg, song_wav, tmp_path)
    assert seen == [result.task_uuid, "outer"]  # the others ran, the wrapper last
    assert len(result.files) == 1 and result.files[0].exists()  # the result is kept
    assert "plugin 'broken-sink' failed in on_result: RuntimeError: uploader down" \
        in result.warnings
    assert "plugin 'broken-sink' failed in on_job_done: RuntimeError: webhook unreachable" \
        in result.warnings
    assert result.to_dict()["warnings"] == result.warnings


# --------------------------------------------------------------------------- through pluggy


def test_registration_hooks_run_wrappers_and_attribute_each_plugin() -> None:
    seen: list[str] = []

    class Counting:
        @hookimpl(wrapper=True)
        def register_backends(self, register: Any) -> Any:
            register("counting", dict)  # a wrapper may register too, attributed to it
            outcome = yield
            seen.append("after every register_backends")
            return outcome

    reg = make_registry(entry_points=False, plugins=[Counting()])
    assert list(reg.backends)[:2] == ["runware", "minimax"]  # registration order, not call order
    assert "counting" in reg.backends and seen == ["after every register_backends"]

    class Clash:
        @hookimpl(wrapper=True)
        def register_models(self, register: Any) -> Any:
            register(MINIMAX_MUSIC_COVER)
            return (yield)

    reg.register(Clash(), name="clash")
    with pytest.raises(PluginError, match="'clash'.*already registered by 'cover_model'"):
        _ = reg.models


def test_register_callback_kept_past_the_hook_is_refused() -> None:
    kept: list[Any] = []

    class Keeper:
        @hookimpl
        def register_backends(self, register: Any) -> None:
            kept.append(register)

    reg = make_registry(entry_points=False)
    reg.register(Keeper(), name="keeper")
    _ = reg.backends
    with pytest.raises(PluginError, match=r"'keeper': register\(\) called after register_back"):
        kept[0]("late", dict)


def test_old_style_hookwrapper_is_refused_naming_plugin_and_hook() -> None:
    class Old:
        @hookimpl(hookwrapper=True)
        def on_job_done(self, result: Any, context: Any) -> Any:
            yield

    reg = make_registry(entry_points=False)
    with pytest.raises(PluginError, match=r"'old'.*hookwrapper=True.*on_job_done.*wrapper=True"):
        reg.register(Old(), name="old")
    assert reg.pm.get_plugin("old") is None and not reg.pm.is_registered(Old)
    assert reg.call_isolated("on_job_done", result="r", context=_ctx(reg)) == []


def test_tracing_shows_every_hook_and_no_secret(
    song_wav: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MINIMAX_COVER_TRACE_PLUGINS", "1")

    class Sink:
        @hookimpl
        def on_result(self, output: Any, context: Any) -> None: ...

        @hookimpl
        def on_job_done(self, result: Any, context: Any) -> None: ...

    reg = make_registry(entry_points=False, plugins=[Sink()])
    assert reg.model("minimax:music@cover") and reg.node_classes()
    result, key = _cover_in_sandbox(reg, song_wav, tmp_path)
    secret = "sk-trace-SECRET-0123456789"
    reg.hook.prepare_request(request={"apiKey": secret, "positivePrompt": "x"},
                             context=_ctx(reg))
    err = capsys.readouterr().err
    for hook in ("register_models", "register_backends", "register_nodes", "prepare_request",
                 "on_result", "on_job_done"):
        assert f"[minimax-cover] hook {hook} -> " in err, hook
        assert f"[minimax-cover] hook {hook} done" in err, hook
    assert f"task_uuid={result.task_uuid!r}" in err  # the context, shortened
    assert "register=<register_models callback>" in err
    assert key == SANDBOX_KEY and key not in err
    assert secret not in err and '"apiKey": "[REDACTED]"' in err
    assert max(len(line) for line in err.splitlines()) < 600

    monkeypatch.setenv("MINIMAX_COVER_TRACE_PLUGINS", "0")
    _ = make_registry(entry_points=False).backends
    assert "[minimax-cover] hook" not in capsys.readouterr().err


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


def test_non_callable_factory_and_duplicate_node_name_the_plugins() -> None:
    class NotCallable:
        @hookimpl
        def register_backends(self, register: Any) -> None:
            register("broken", "not a factory")

    class NodeClash:
        @hookimpl
        def register_nodes(self, register: Any) -> None:
            register("MiniMaxCoverLoadAudio", dict)

    reg = make_registry(entry_points=False)
    reg.register(NotCallable(), name="not-callable")
    with pytest.raises(PluginError, match="'not-callable': backend 'broken' factory is not call"):
        _ = reg.backends
    reg.register(NodeClash(), name="node-clash")
    with pytest.raises(PluginError, match="'node-clash': node 'MiniMaxCoverLoadAudio' is already "
                                          "registered by 'nodes'"):
        reg.node_classes()


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
    """A distribution on sys.path with entry points: good, broken (import raises), typo,
    oldstyle (an old-style hookwrapper), ledger (a new-style on_job_done wrapper)."""
    site = tmp_path / "site"
    site.mkdir()
    tag = tmp_path.name.replace("-", "_").lower()[-12:]
    names = {k: f"mcx_{k}_{tag}" for k in ("good", "broken", "typo", "oldstyle", "ledger")}
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
    (site / f"{names['oldstyle']}.py").write_text(textwrap.dedent("""
        from minimax_cover.plugin.hooks.specs import hookimpl

        @hookimpl(hookwrapper=True)
        def on_job_done(result, context):
            yield
    """))
    (site / f"{names['ledger']}.py").write_text(textwrap.dedent("""
        from minimax_cover.plugin.hooks.specs import hookimpl

        @hookimpl(wrapper=True)
        def on_job_done(result, context):
            context.extra.setdefault("calls", []).append("ledger: before")
            outcome = yield
            context.extra["calls"].append("ledger: after")
            return outcome
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


def test_old_style_hookwrapper_entry_point_is_listed_as_failed(
    fake_dist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _only_fake(monkeypatch, "good,oldstyle")
    reg = make_registry()
    [failure] = reg.failures
    assert failure.name == "oldstyle" and failure.dist == "mcx-fake"
    assert "hookwrapper=True) on on_job_done is not supported" in str(failure)
    assert reg.pm.get_plugin("oldstyle") is None and "good-backend" in reg.backends
    infos = {i.name: i for i in reg.list_plugins()}
    assert "use a new-style @hookimpl(wrapper=True)" in (infos["oldstyle"].error or "")


def test_entry_point_wrapper_runs_around_on_job_done(
    fake_dist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _only_fake(monkeypatch, "ledger")

    class Sink:
        @hookimpl
        def on_job_done(self, result: Any, context: Any) -> None:
            context.extra["calls"].append("sink")

    class Broken:
        @hookimpl
        def on_job_done(self, result: Any, context: Any) -> None:
            raise RuntimeError("boom")

    reg = make_registry()
    assert not reg.failures
    reg.register(Sink(), name="sink")
    reg.register(Broken(), name="broken")
    ctx = _ctx(reg)
    problems = reg.call_isolated("on_job_done", result="r", context=ctx)
    assert ctx.extra["calls"] == ["ledger: before", "sink", "ledger: after"]
    assert problems == ["plugin 'broken' failed in on_job_done: RuntimeError: boom"]


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
