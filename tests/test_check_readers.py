"""`aoai-conformance check` reads every format users have on disk, and says what it cannot read in one line."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import yaml

from aoai_conformance.recorded.identify import identify
from aoai_conformance.recorded.readers import BadInput, Interaction, find, read

CHAT = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o", "choices": []}
URL = "https://contoso.openai.azure.com/openai/v1/chat/completions"


def har_entry(status: int = 200, body: object = CHAT, url: str = URL) -> dict:
    return {
        "request": {
            "method": "POST",
            "url": url,
            "headers": [{"name": "content-type", "value": "application/json"}],
            "postData": {"mimeType": "application/json", "text": '{"model": "gpt-4o"}'},
        },
        "response": {
            "status": status,
            "headers": [{"name": "x-request-id", "value": "r1"}],
            "content": {"mimeType": "application/json", "text": json.dumps(body)},
        },
    }


def har(entries: list, **log) -> str:
    return json.dumps(
        {"log": {"version": "1.2", "creator": {"name": "t", "version": "1"}, **log, "entries": entries}}
    )


def all_of(path: Path) -> list:
    return list(read(path))


def test_har_entries_are_read_in_order_with_request_and_headers(tmp_path):
    f = tmp_path / "a.har"
    f.write_text(har([har_entry(), har_entry(404, {"error": {"message": "x"}})], pages=[{"id": "p"}]))
    got = all_of(f)
    assert [type(g) for g in got] == [Interaction, Interaction]
    assert [g.index for g in got] == [0, 1] and [g.status for g in got] == [200, 404]
    assert got[0].request_body == b'{"model": "gpt-4o"}' and got[0].response_headers["x-request-id"] == "r1"
    assert json.loads(got[0].content) == CHAT and got[0].where == f"{f}#0"


def test_a_truncated_har_keeps_the_entries_before_the_cut_and_names_the_entry(tmp_path):
    f = tmp_path / "cut.har"
    text = har([har_entry(), har_entry(), har_entry()])
    f.write_text(text[: text.rindex('"status"')])  # cut inside the third entry
    got = all_of(f)
    assert [type(g) for g in got] == [Interaction, Interaction, BadInput]
    assert str(got[2]).startswith(f"{f}#2: invalid or truncated JSON after 2 entries")
    assert "\n" not in str(got[2])


@pytest.mark.parametrize(
    "text, says",
    [
        ("not json at all", "is not a JSON object"),
        ('{"log": {"version": "1.2"}}', "has a log but no log.entries"),
        ('{"something": 1}', "neither HAR"),
        ('{"log": {"entries": {}}}', "log.entries is not a list"),
    ],
)
def test_input_that_is_not_a_recording_gets_one_line_naming_the_file(tmp_path, text, says):
    f = tmp_path / "bad.json"
    f.write_text(text)
    (got,) = all_of(f)
    assert isinstance(got, BadInput) and says in str(got) and str(got).startswith(str(f))


def test_a_har_entry_without_a_status_is_bad_input_and_the_next_is_read(tmp_path):
    broken = har_entry()
    broken["response"]["status"] = 0  # browsers export aborted requests like this
    f = tmp_path / "b.har"
    f.write_text(har([broken, har_entry()]))
    bad, good = all_of(f)
    assert isinstance(bad, BadInput) and bad.index == 0 and "no HTTP status" in bad.message
    assert isinstance(good, Interaction) and good.index == 1


def vcr_doc(body: str, *, gz: bool = False) -> dict:
    return {
        "version": 1,
        "interactions": [
            {
                "request": {
                    "method": "POST",
                    "uri": URL,
                    "body": '{"model": "gpt-4o"}',
                    "headers": {"Content-Type": ["application/json"], "api-key": ["secret"]},
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {"Content-Type": ["application/json"], "x-request-id": ["r1"]},
                    "body": {"string": gzip.compress(body.encode()) if gz else body},
                },
            }
        ],
    }


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".yaml.gz"])
def test_vcr_yaml_cassettes_plain_and_gzip(tmp_path, suffix):
    f = tmp_path / ("c" + suffix)
    text = yaml.safe_dump(vcr_doc(json.dumps(CHAT)))
    f.write_bytes(gzip.compress(text.encode()) if suffix.endswith(".gz") else text.encode())
    (got,) = all_of(f)
    assert isinstance(got, Interaction) and json.loads(got.content) == CHAT
    assert got.request_headers["api-key"] == "secret" and got.response_headers["x-request-id"] == "r1"


def test_vcr_bodies_kept_gzip_compressed_are_decoded(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text(yaml.dump(vcr_doc(json.dumps(CHAT), gz=True)))
    (got,) = all_of(f)
    assert json.loads(got.content) == CHAT


def test_invalid_yaml_is_one_line(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("interactions: [\n  - {request: ")
    (got,) = all_of(f)
    assert isinstance(got, BadInput) and "is not valid YAML" in str(got) and "\n" not in str(got)


def test_this_projects_own_cassettes_are_read_with_their_metadata():
    cassette = next(Path("cassettes/standin/chat").glob("test_chat_completion.json"))
    got = all_of(cassette)
    assert got and all(isinstance(g, Interaction) for g in got)
    assert got[0].provenance["format"] == "aoai-conformance/cassette"
    assert identify(got[0].method, got[0].url, got[0].request_body).profile == "azure"


def test_azure_sdk_test_proxy_recordings(tmp_path):
    f = tmp_path / "Recording.json"
    f.write_text(
        json.dumps(
            {
                "Entries": [
                    {
                        "RequestUri": URL,
                        "RequestMethod": "POST",
                        "RequestHeaders": {"api-key": "Sanitized"},
                        "RequestBody": {"model": "gpt-4o"},
                        "StatusCode": 200,
                        "ResponseHeaders": {"Content-Type": "application/json", "apim-request-id": "a1"},
                        "ResponseBody": CHAT,
                    },
                    {
                        "RequestUri": URL,
                        "RequestMethod": "POST",
                        "RequestHeaders": {},
                        "RequestBody": None,
                        "StatusCode": 200,
                        "ResponseHeaders": {"Content-Type": "text/event-stream"},
                        "ResponseBody": ["data: {}", "", "data: [DONE]", ""],
                    },
                ],
                "Variables": {},
            }
        )
    )
    first, stream = all_of(f)
    assert json.loads(first.content) == CHAT and first.response_headers["apim-request-id"] == "a1"
    assert stream.content == b"data: {}\n\ndata: [DONE]\n\n" and stream.request_body is None


def test_a_directory_means_every_recording_in_it_and_a_missing_path_is_one_line(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.har").write_text(har([har_entry()]))
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(vcr_doc(json.dumps(CHAT))))
    (tmp_path / "notes.txt").write_text("not a recording")
    found = list(find([str(tmp_path), str(tmp_path / "missing.har")]))
    assert [Path(p).name for p in found[:2]] == ["b.yaml", "a.har"]
    assert isinstance(found[2], BadInput) and "no such file" in str(found[2])
    empty = tmp_path / "empty"
    empty.mkdir()
    (bad,) = find([str(empty)])
    assert isinstance(bad, BadInput) and "no .har, .yaml" in str(bad)


def test_a_large_har_is_decoded_entry_by_entry(tmp_path):
    """10,000 entries: the reader yields as it goes (the first entry arrives before the rest are decoded)."""
    f = tmp_path / "big.har"
    f.write_text(har([har_entry() for _ in range(10_000)]))
    it = read(f)
    first = next(it)
    assert isinstance(first, Interaction) and first.index == 0
    assert sum(1 for _ in it) == 9_999


@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_entries_that_straddle_chunk_boundaries_read_the_same(tmp_path, monkeypatch, chunk):
    from aoai_conformance.recorded import readers

    f = tmp_path / "a.har"
    f.write_text(
        har(
            [har_entry(200, {**CHAT, "created": 1234567890, "n": 0.5}), har_entry(404, {"error": {}})],
            pages=[{"id": "p", "n": 12345}],
            comment="after",
        )
    )
    whole = [(g.index, g.status, g.content, g.request_body) for g in all_of(f)]
    monkeypatch.setattr(readers._Text, "CHUNK", chunk)
    assert [(g.index, g.status, g.content, g.request_body) for g in all_of(f)] == whole
    assert len(whole) == 2
