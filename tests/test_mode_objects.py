"""The run modes answer what the harness asks of a run: each mode's answers, as a table."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from aoai_conformance import calls, modes
from aoai_conformance.config import ConfigError

QUESTIONS = (
    "plays_cassettes",
    "records_cassettes",
    "guards_network",
    "reaches_server",
    "faults_via_proxy",
    "checks_stream_timing",
    "default_clients",
    "default_targets",
    "fake_credentials",
)
ANSWERS = {
    #         plays  records guards reaches proxy  timing clients       targets    fake
    "replay": (True, False, True, False, False, False, "sync,async", "standin", True),
    "record": (False, True, False, True, True, False, "sync", None, False),
    "live": (False, False, False, True, True, True, "sync", None, False),
}


@pytest.mark.parametrize("name", list(ANSWERS))
def test_each_mode_answers_as_the_table_says(name):
    mode = modes.parse(name)
    assert mode.name == str(mode) == name
    assert dict(zip(QUESTIONS, (getattr(mode, q) for q in QUESTIONS))) == dict(zip(QUESTIONS, ANSWERS[name]))


def test_the_table_asks_every_question_a_mode_answers():
    fields = set(modes.Mode.__dataclass_fields__) - {"name"}
    assert fields == set(QUESTIONS)


def test_the_classes_and_the_names_are_the_same_modes():
    assert (modes.parse("replay"), modes.parse("record"), modes.parse("live")) == (
        modes.Replay(),
        modes.Record(),
        modes.Live(),
    )
    assert modes.NAMES == ("replay", "record", "live")
    assert modes.REPLAY != modes.LIVE and isinstance(modes.RECORD, modes.Mode)
    with pytest.raises(AttributeError):
        modes.LIVE.name = "replay"  # frozen: a mode never changes its answers


def test_a_bad_name_is_the_one_line_config_error():
    with pytest.raises(ConfigError, match=r"^unknown mode 'replya': use --mode replay, record or live$"):
        modes.parse("replya")


def test_a_recording_judged_by_check_is_in_no_mode():
    assert modes.by_name("check") is None and modes.by_name("live") is modes.LIVE


def test_the_harness_asks_its_mode_and_tells_its_name():
    def harness(mode):
        return calls.Aoai(
            built=SimpleNamespace(), target=SimpleNamespace(), mode=mode, traffic=SimpleNamespace()
        )

    for mode in (modes.REPLAY, modes.RECORD, modes.LIVE):
        aoai = harness(mode)
        assert (aoai.mode, aoai.live, aoai.mode_obj) == (mode.name, mode.reaches_server, mode)
    assert harness("record").mode_obj is modes.RECORD  # a name is parsed


def test_inject_in_replay_leaves_the_client_alone_and_puts_the_proxy_in_front_otherwise():
    built = {"before": SimpleNamespace(), "proxied": SimpleNamespace()}
    for mode, expected in ((modes.REPLAY, "before"), (modes.RECORD, "proxied"), (modes.LIVE, "proxied")):
        aoai = calls.Aoai(
            built=built["before"],
            target=SimpleNamespace(),
            mode=mode,
            traffic=SimpleNamespace(),
            factory=lambda faults, kwargs: built["proxied"],
        )
        aoai.inject(["a fault"])
        assert aoai.built is built[expected], mode


def test_settings_carry_the_mode_object_and_its_name():
    from aoai_conformance.config import resolve

    opts = dict(auth=None, target=None, targets_file=None, reports_dir=None, profile=None, client=None)
    s = resolve(mode=None, cassettes_dir=None, default_cassettes=Path("c"), env={}, **opts)
    assert (s.mode, s.mode_obj) == ("replay", modes.REPLAY)
    assert s.clients == ("sync", "async") and [t.name for t in s.targets] == ["standin"]
    env = {"AZURE_OPENAI_ENDPOINT": "http://h:1/v1", "AZURE_OPENAI_API_KEY": "k"}
    s = resolve(mode="live", cassettes_dir=None, default_cassettes=Path("c"), env=env, **opts)
    assert (s.mode, s.mode_obj, s.clients) == ("live", modes.LIVE, ("sync",))
