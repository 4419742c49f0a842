"""The stand-in proved with the real SDK (openai on httpx2): every route, streams, auth modes, errors, the
mutator hook and the command line."""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import math
import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import openai
import pytest

from aoai_conformance.standin import DONE, Reply, StandIn

ROOT = Path(__file__).resolve().parents[1]
DOC_MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "When was Microsoft founded?"},
]
SEATTLE = (
    "https://raw.githubusercontent.com/MicrosoftDocs/azure-ai-docs/main/articles/ai-foundry/openai/media/"
    "how-to/generated-seattle.png"
)
MCP_TOOL = {
    "type": "mcp",
    "server_label": "microsoft_learn",
    "server_description": "Microsoft Learn MCP server for searching and fetching Microsoft documentation.",
    "server_url": "https://learn.microsoft.com/api/mcp",
}
SAFE = {"filtered": False, "severity": "safe"}


@pytest.fixture(scope="module")
def standin():
    with StandIn(stream_delay=0) as s:
        yield s


@pytest.fixture()
def client(standin):
    return openai.OpenAI(base_url=standin.base_url, api_key=standin.api_key, max_retries=0)


@pytest.fixture()
def token_client(standin):
    # what get_bearer_token_provider hands the SDK: a callable returning the Entra token
    return openai.OpenAI(base_url=standin.base_url, api_key=lambda: standin.tokens[0], max_retries=0)


def raw(standin, method, path, body=None, headers=None):
    """(status, headers, text) of one request made without the SDK."""
    conn = http.client.HTTPConnection("127.0.0.1", standin.port, timeout=5)
    try:
        data = body if isinstance(body, (bytes, str)) or body is None else json.dumps(body)
        h = {"api-key": standin.api_key, "content-type": "application/json", **(headers or {})}
        conn.request(method, path, body=data, headers=h)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read().decode()
    finally:
        conn.close()


# --- chat completions --------------------------------------------------------------------------------------
def test_chat_completion_matches_documented_shape(client, standin):
    r = client.chat.completions.with_raw_response.create(model="gpt-4o", messages=DOC_MESSAGES)
    body = json.loads(r.text)
    assert body["id"].startswith("chatcmpl-") and len(body["id"]) == len("chatcmpl-") + 29
    assert body["object"] == "chat.completion" and body["model"] == "gpt-4o-2024-08-06"
    assert (
        body["service_tier"] is None and body["system_fingerprint"] is None
    )  # Azure v1 as recorded (issue 12)
    choice = body["choices"][0]
    assert choice["message"] == {
        "content": "Microsoft was founded on April 4, 1975, by Bill Gates and Paul Allen in Albuquerque, New Mexico.",
        "refusal": None,
        "role": "assistant",
        "function_call": None,
        "tool_calls": None,
    }
    assert choice["finish_reason"] == "stop" and choice["logprobs"] is None
    assert choice["content_filter_results"] == {c: SAFE for c in ("hate", "self_harm", "sexual", "violence")}
    pfr = body["prompt_filter_results"]
    assert pfr[0]["prompt_index"] == 0
    assert pfr[0]["content_filter_results"]["jailbreak"] == {"filtered": False, "detected": False}
    u = body["usage"]
    assert u["prompt_tokens"] == 22  # the documented example's count
    assert u["total_tokens"] == u["prompt_tokens"] + u["completion_tokens"]
    assert u["completion_tokens_details"] is None and u["prompt_tokens_details"] is None
    # Azure's headers, x-request-id == apim-request-id, and the SDK exposes it as _request_id
    h = r.headers
    assert h["apim-request-id"] == h["x-request-id"] == r.parse()._request_id
    assert h["x-ms-region"] == "Sweden Central"
    assert int(h["x-ratelimit-remaining-requests"]) > 0 and int(h["x-ratelimit-remaining-tokens"]) > 0
    assert h["content-type"] == "application/json"
    rec = standin.requests[-1]
    assert (rec.method, rec.path) == ("POST", "/openai/v1/chat/completions")
    assert (
        rec.body["messages"] == DOC_MESSAGES and rec.headers["authorization"] == f"Bearer {standin.api_key}"
    )


def test_chat_max_tokens_truncates_with_length(client):
    c = client.chat.completions.create(model="gpt-4o", messages=DOC_MESSAGES, max_tokens=4)
    assert c.choices[0].finish_reason == "length"
    assert c.choices[0].message.content == "Microsoft was founded on"
    assert c.usage.completion_tokens == 4


def test_chat_image_input_url_and_data_url_not_fetched(client):
    png = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\nstand-in").decode()
    for url in (SEATTLE, png):
        c = client.chat.completions.create(
            model="gpt-4o",
            max_tokens=300,
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What's in this image?"},
                        {"type": "image_url", "image_url": {"url": url}},
                    ],
                }
            ],
        )
        assert "Seattle" in c.choices[0].message.content
        assert c.usage.prompt_tokens == 639  # the documented count
        assert [p["prompt_index"] for p in c.prompt_filter_results] == [0, 1]  # type: ignore[attr-defined]


def test_chat_stream_azure_chunks_and_done(standin):
    status, headers, text = raw(
        standin,
        "POST",
        "/openai/v1/chat/completions",
        {
            "model": "gpt-4o",
            "messages": DOC_MESSAGES,
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    )
    assert status == 200 and headers["content-type"] == "text/event-stream"
    assert headers["transfer-encoding"] == "chunked" and "content-length" not in headers
    assert "event:" not in text
    datas = [line[len("data: ") :] for line in text.split("\n") if line.startswith("data: ")]
    assert datas[-1] == DONE
    chunks = [json.loads(d) for d in datas[:-1]]
    first = chunks[0]
    assert (first["id"], first["object"], first["created"], first["model"], first["choices"]) == (
        "",
        "",
        0,
        "",
        [],
    )
    assert first["prompt_filter_results"][0]["prompt_index"] == 0
    body = chunks[1:-1]
    assert len({c["id"] for c in body}) == 1 and all(c["object"] == "chat.completion.chunk" for c in body)
    assert all(c["system_fingerprint"] is None for c in chunks[1:])  # every chunk, usage chunk included
    assert body[0]["choices"][0]["delta"]["role"] == "assistant"
    assert body[-1]["choices"][0]["finish_reason"] == "stop"
    text_out = "".join(c["choices"][0]["delta"].get("content") or "" for c in body)
    assert text_out.startswith("Microsoft was founded")
    assert all(c["choices"][0]["content_filter_results"]["hate"] == SAFE for c in body[1:-1])
    usage_chunk = chunks[-1]
    assert usage_chunk["choices"] == [] and usage_chunk["usage"]["total_tokens"] > 0


def test_chat_stream_through_sdk_arrives_incrementally():
    with StandIn(stream_delay=0.04) as s:
        cl = openai.OpenAI(base_url=s.base_url, api_key=s.api_key, max_retries=0)
        stamps, content = [], ""
        for chunk in cl.chat.completions.create(
            model="gpt-4o", messages=DOC_MESSAGES, stream=True, max_tokens=3
        ):
            stamps.append(time.monotonic())
            if chunk.choices and chunk.choices[0].delta.content:
                content += chunk.choices[0].delta.content
        assert content == "Microsoft was founded"
        assert len(stamps) == 6  # filter chunk, role, 3 content, finish ([DONE] ends the SDK's iteration)
        assert stamps[-1] - stamps[0] >= 0.15  # spread out, not one buffered blob


@pytest.mark.parametrize(
    "change, code, param",
    [
        ({"temperature": 2.5}, "decimal_above_max_value", "temperature"),
        ({"messages": []}, "empty_array", "messages"),
        ({"messages": None}, "missing_required_parameter", "messages"),
        ({"messages": [{"role": "robot", "content": "hi"}]}, "invalid_value", "messages[0].role"),
    ],
)
def test_chat_invalid_parameters_are_400_bad_request(client, change, code, param):
    kwargs = {"model": "gpt-4o", "messages": DOC_MESSAGES, **change}
    if kwargs["messages"] is None:
        del kwargs["messages"]
        with pytest.raises(openai.BadRequestError) as e:
            client.post("/chat/completions", body={"model": "gpt-4o"}, cast_to=object)
    else:
        with pytest.raises(openai.BadRequestError) as e:
            client.chat.completions.create(**kwargs)
    assert e.value.body == {
        "message": e.value.body["message"],
        "type": "invalid_request_error",
        "param": param,
        "code": code,
    }


def test_unknown_deployment_is_404_deployment_not_found(client):
    with pytest.raises(openai.NotFoundError) as e:
        client.chat.completions.create(model="no-such-deployment", messages=DOC_MESSAGES)
    assert e.value.body["code"] == "DeploymentNotFound"
    assert e.value.body["message"].startswith("The API deployment for this resource does not exist.")


# --- responses ---------------------------------------------------------------------------------------------
def test_responses_create_matches_documented_shape(client):
    r = client.responses.with_raw_response.create(
        model="gpt-4.1-nano", input="This is a test.", instructions="Be brief."
    )
    body = json.loads(r.text)
    assert body["id"].startswith("resp_") and len(body["id"]) == 55
    assert body["object"] == "response" and body["status"] == "completed" and body["model"] == "gpt-4.1-nano"
    assert body["instructions"] == "Be brief." and body["content_filters"] is None and body["store"] is True
    msg = body["output"][0]
    assert msg["id"].startswith("msg_") and msg["type"] == "message" and msg["role"] == "assistant"
    assert msg["content"][0]["text"] == (
        'Hello! I see you\'ve sent a message saying "This is a test." How can I assist you today?'
    )
    assert msg["content"][0]["logprobs"] == [] and msg["content"][0]["annotations"] == []
    u = body["usage"]
    assert u["total_tokens"] == u["input_tokens"] + u["output_tokens"]
    assert u["input_tokens_details"] == {"cached_tokens": 0} and u["output_tokens_details"] == {
        "reasoning_tokens": 0
    }
    documented = {
        "error",
        "incomplete_details",
        "metadata",
        "parallel_tool_calls",
        "temperature",
        "tool_choice",
        "tools",
        "top_p",
        "background",
        "conversation",
        "max_output_tokens",
        "max_tool_calls",
        "previous_response_id",
        "prompt",
        "prompt_cache_key",
        "reasoning",
        "safety_identifier",
        "service_tier",
        "text",
        "top_logprobs",
        "truncation",
        "user",
        "created_at",
    }
    assert documented <= set(body)
    assert client.responses.retrieve(body["id"]).output_text == r.parse().output_text


def test_responses_reasoning_and_max_output_tokens(client):
    r = client.responses.create(
        model="o4-mini", input="Tell me about the bitter lesson", reasoning={"effort": "low"}
    )
    assert [o.type for o in r.output] == ["reasoning", "message"]
    assert r.output[0].id.startswith("rs_") and r.reasoning.effort == "low"
    assert r.usage.output_tokens_details.reasoning_tokens > 0
    cut = client.responses.create(model="gpt-4.1-nano", input="This is a test.", max_output_tokens=16)
    assert cut.status == "incomplete" and cut.incomplete_details.reason == "max_output_tokens"
    assert cut.usage.output_tokens == 16


def test_responses_stream_event_sequence(client):
    events = list(client.responses.create(model="gpt-4.1-nano", input="This is a test.", stream=True))
    types = [e.type for e in events]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert types[:5] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
    ]
    assert types[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert events[0].response.status == "in_progress" and events[0].response.usage is None
    deltas = [e for e in events if e.type == "response.output_text.delta"]
    assert len(deltas) > 3 and all(d.item_id == deltas[0].item_id and d.logprobs == [] for d in deltas)
    done = next(e for e in events if e.type == "response.output_text.done")
    assert "".join(d.delta for d in deltas) == done.text == events[-1].response.output_text


def test_responses_stream_has_event_lines(standin):
    _, headers, text = raw(
        standin, "POST", "/openai/v1/responses", {"model": "gpt-4.1-nano", "input": "hi", "stream": True}
    )
    blocks = [b for b in text.split("\n\n") if b.strip()]
    for b in blocks:
        event_line, data_line = b.split("\n")
        assert event_line == f"event: {json.loads(data_line[len('data: ') :])['type']}"
    assert headers["content-type"] == "text/event-stream"


def test_responses_mcp_never_requires_no_approval(client):
    r = client.responses.create(
        model="gpt-5",
        input="Search for information about Azure Functions",
        tools=[{**MCP_TOOL, "require_approval": "never"}],
    )
    kinds = [o.type for o in r.output]
    assert kinds[-3:] == ["mcp_list_tools", "mcp_call", "message"]
    listing, call = r.output[-3], r.output[-2]
    assert listing.id.startswith("mcpl_") and listing.tools[0].name and listing.tools[0].input_schema
    assert call.id.startswith("mcp_") and call.server_label == "microsoft_learn" and call.error is None
    assert json.loads(call.arguments)["query"] == "Search for information about Azure Functions"
    assert "Azure Functions" in r.output_text


def test_responses_mcp_approval_round_trip(client):
    first = client.responses.create(
        model="gpt-5", input="Search for information about Azure Functions", tools=[MCP_TOOL]
    )  # require_approval unset: "always"
    assert first.status == "completed"
    request = first.output[-1]
    assert request.type == "mcp_approval_request" and request.id.startswith("mcpr_")
    assert first.output_text == ""
    follow = client.responses.create(
        model="gpt-5",
        previous_response_id=first.id,
        tools=[MCP_TOOL],
        input=[{"type": "mcp_approval_response", "approve": True, "approval_request_id": request.id}],
    )
    assert [o.type for o in follow.output][-2:] == ["mcp_call", "message"]
    assert follow.output[-2].approval_request_id == request.id and follow.previous_response_id == first.id
    with pytest.raises(openai.BadRequestError) as e:
        client.responses.create(model="gpt-5", previous_response_id="resp_unknown", input="hi")
    assert e.value.body["code"] == "previous_response_not_found"


def test_responses_mcp_stream_events(client):
    events = list(
        client.responses.create(
            model="gpt-5", input="Search x", stream=True, tools=[{**MCP_TOOL, "require_approval": "never"}]
        )
    )
    types = [e.type for e in events]
    for t in (
        "response.mcp_list_tools.in_progress",
        "response.mcp_list_tools.completed",
        "response.mcp_call.in_progress",
        "response.mcp_call_arguments.delta",
        "response.mcp_call_arguments.done",
        "response.mcp_call.completed",
    ):
        assert t in types
    assert types[-1] == "response.completed"


# --- embeddings --------------------------------------------------------------------------------------------
def test_embeddings_float_base64_dimensions(client):
    e = client.embeddings.create(
        model="text-embedding-3-large", input="Attenion is all you need", encoding_format="float"
    )
    vec = e.data[0].embedding
    assert len(vec) == 3072 and abs(math.fsum(x * x for x in vec) - 1) < 1e-5
    assert e.object == "list" and e.data[0].object == "embedding" and e.data[0].index == 0
    assert e.usage.prompt_tokens == e.usage.total_tokens > 0
    # the SDK asks for base64 by default and decodes it: same numbers
    again = client.embeddings.create(model="text-embedding-3-large", input=["Attenion is all you need", "b"])
    assert again.data[0].embedding == vec and [d.index for d in again.data] == [0, 1]
    small = client.embeddings.create(model="text-embedding-3-small", input="x", dimensions=256)
    assert len(small.data[0].embedding) == 256


def test_embeddings_base64_wire_format(standin):
    _, _, text = raw(
        standin,
        "POST",
        "/openai/v1/embeddings",
        {"model": "text-embedding-3-small", "input": "x", "encoding_format": "base64"},
    )
    blob = base64.b64decode(json.loads(text)["data"][0]["embedding"])
    assert len(blob) == 1536 * 4 and abs(sum(v * v for v in struct.unpack("<1536f", blob)) - 1) < 1e-4


# --- auth ----------------------------------------------------------------------------------------------------
def test_key_header_bearer_key_and_entra_token_accepted(standin, client, token_client):
    assert raw(standin, "GET", "/openai/v1/models")[0] == 200  # api-key header
    assert client.models.list().data  # Authorization: Bearer <key>
    assert token_client.chat.completions.create(model="gpt-4o", messages=DOC_MESSAGES).choices
    assert standin.requests[-1].headers["authorization"] == "Bearer standin-token"


def test_wrong_or_missing_credential_is_401(standin):
    bad = openai.OpenAI(base_url=standin.base_url, api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as e:
        bad.chat.completions.create(model="gpt-4o", messages=DOC_MESSAGES)
    assert e.value.body == {
        "code": "401",
        "message": (
            "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for "
            "an active subscription and use a correct regional API endpoint for your resource."
        ),
    }
    assert e.value.request_id is None  # Azure's 401 carries apim-request-id but no x-request-id (issue 12)
    status, headers, _ = raw(standin, "GET", "/openai/v1/models", headers={"api-key": ""})
    assert status == 401 and headers["apim-request-id"] and "x-request-id" not in headers


def test_error_answers_carry_apim_request_id_only_unless_switched(standin):
    """400, 401 and 404 answers lack x-request-id as Azure's do; error_request_id=True puts it back."""
    for path, body, headers, code in [
        ("/openai/v1/chat/completions", {"model": "gpt-4o", "messages": []}, None, 400),
        ("/openai/v1/models", None, {"api-key": "wrong"}, 401),
        ("/openai/v1/chat/completions", {"model": "no-such-deployment", "messages": DOC_MESSAGES}, None, 404),
    ]:
        method = "GET" if body is None else "POST"
        status, h, _ = raw(standin, method, path, body, headers)
        assert status == code and h["apim-request-id"] and "x-request-id" not in h, (code, h)
        standin.error_request_id = True
        try:
            status, h, _ = raw(standin, method, path, body, headers)
        finally:
            standin.error_request_id = False
        assert status == code and h["x-request-id"] == h["apim-request-id"], (code, h)
    status, h, _ = raw(standin, "GET", "/openai/v1/models")
    assert status == 200 and h["x-request-id"] == h["apim-request-id"]  # success answers always carry both


def test_system_fingerprint_switch():
    """system_fingerprint: None (Azure v1, the default) or a value (the documented example's) in bodies and chunks."""
    with StandIn(stream_delay=0) as s:
        s.system_fingerprint = "fp_04751d0b65"
        cl = openai.OpenAI(base_url=s.base_url, api_key=s.api_key, max_retries=0)
        assert (
            cl.chat.completions.create(model="gpt-4o", messages=DOC_MESSAGES).system_fingerprint
            == "fp_04751d0b65"
        )
        chunks = list(
            cl.chat.completions.create(
                model="gpt-4o", messages=DOC_MESSAGES, stream=True, stream_options={"include_usage": True}
            )
        )
        assert {c.system_fingerprint for c in chunks[1:]} == {"fp_04751d0b65"}


def test_embeddings_refuse_entra_token(token_client):
    with pytest.raises(openai.AuthenticationError) as e:
        token_client.embeddings.create(model="text-embedding-3-large", input="x")
    assert e.value.status_code == 401 and e.value.body["code"] == "PermissionDenied"


# --- other routes -----------------------------------------------------------------------------------------
def test_fine_tuning_with_missing_file_is_status_error(client):
    with pytest.raises(openai.APIStatusError) as e:
        client.fine_tuning.jobs.create(model="gpt-4o", training_file="file-test")
    assert isinstance(e.value, openai.BadRequestError) and e.value.body["code"] == "invalidPayload"


def test_models_lists_deployments(client, standin):
    ids = [m.id for m in client.models.list()]
    assert ids == list(standin.deployments) and "text-embedding-3-large" in ids


def test_model_retrieve_is_the_deployment_or_deployment_not_found(client, standin):
    assert client.models.retrieve("gpt-4o").id == "gpt-4o"
    with pytest.raises(openai.NotFoundError) as e:
        client.models.retrieve("no-such-deployment")
    assert e.value.body["code"] == "DeploymentNotFound"


def test_unknown_routes_and_malformed_json(standin):
    assert raw(standin, "GET", "/openai/v1/nope")[0] == 404
    status, _, text = raw(standin, "GET", "/elsewhere")
    assert status == 404 and json.loads(text) == {"error": {"code": "404", "message": "Resource not found"}}
    status, _, text = raw(standin, "POST", "/openai/v1/chat/completions", b"{not json")
    assert status == 400 and json.loads(text)["error"]["type"] == "invalid_request_error"


def test_async_client_chat_and_stream(standin):
    async def go():
        cl = openai.AsyncOpenAI(base_url=standin.base_url, api_key=standin.api_key, max_retries=0)
        c = await cl.chat.completions.create(model="gpt-4o", messages=DOC_MESSAGES)
        stream = await cl.responses.create(model="gpt-4.1-nano", input="This is a test.", stream=True)
        types = [e.type async for e in stream]
        await cl.close()
        return c, types

    c, types = asyncio.run(go())
    assert c.choices[0].message.content.startswith("Microsoft") and types[-1] == "response.completed"


# --- mutator ------------------------------------------------------------------------------------------------
def test_mutator_sees_route_and_changes_replies():
    seen = []

    def mutator(route, reply: Reply) -> Reply:
        seen.append((route, reply.status, reply.events is not None))
        if route == "chat.completions" and reply.events is None:
            reply.headers.pop("apim-request-id")
            reply.body["choices"][0]["message"]["content"] = "mutated"
        if route == "chat.completions" and reply.events is not None:
            reply.events = [e for e in reply.events if e != DONE]
        if route == "embeddings":
            return Reply(
                status=429,
                headers={"content-type": "application/json", "retry-after": "0"},
                body={"error": {"code": "429", "message": "Rate limit"}},
            )
        return reply

    with StandIn(stream_delay=0, mutator=mutator) as s:
        cl = openai.OpenAI(base_url=s.base_url, api_key=s.api_key, max_retries=0)
        r = cl.chat.completions.with_raw_response.create(model="gpt-4o", messages=DOC_MESSAGES)
        assert r.parse().choices[0].message.content == "mutated" and "apim-request-id" not in r.headers
        _, _, text = raw(
            s,
            "POST",
            "/openai/v1/chat/completions",
            {"model": "gpt-4o", "messages": DOC_MESSAGES, "stream": True},
        )
        assert "[DONE]" not in text and "chat.completion.chunk" in text
        with pytest.raises(openai.RateLimitError):
            cl.embeddings.create(model="text-embedding-3-large", input="x")
    assert seen == [
        ("chat.completions", 200, False),
        ("chat.completions", 200, True),
        ("embeddings", 200, False),
    ]


def test_deterministic_ids_for_same_requests():
    def ids():
        with StandIn(stream_delay=0) as s:
            cl = openai.OpenAI(base_url=s.base_url, api_key=s.api_key, max_retries=0)
            r = cl.chat.completions.with_raw_response.create(model="gpt-4o", messages=DOC_MESSAGES)
            return (
                r.parse().id,
                r.headers["apim-request-id"],
                cl.responses.create(model="gpt-5", input="x").id,
            )

    assert ids() == ids()


# --- command line --------------------------------------------------------------------------------------------
def test_module_starts_prints_line_and_stops_cleanly():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "aoai_conformance.standin", "--port", "0", "--api-key", "k1", "--token", "t1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        line = proc.stdout.readline().strip()
        prefix = "aoai-conformance stand-in listening on "
        assert line.startswith(prefix) and line.endswith("/openai/v1/")
        url = line[len(prefix) :]
        assert openai.OpenAI(base_url=url, api_key=lambda: "t1", max_retries=0).models.list().data
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "Traceback" not in err


def test_concurrent_requests_and_broken_mutator():
    from concurrent.futures import ThreadPoolExecutor

    with StandIn(stream_delay=0.001) as s:
        cl = openai.OpenAI(base_url=s.base_url, api_key=s.api_key, max_retries=0)

        def one(i):
            if i % 2:
                return "".join(
                    c.choices[0].delta.content or ""
                    for c in cl.chat.completions.create(model="gpt-4o", messages=DOC_MESSAGES, stream=True)
                    if c.choices
                )
            return (
                cl.chat.completions.create(model="gpt-4o", messages=DOC_MESSAGES).choices[0].message.content
            )

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(one, range(16)))
        assert len(set(answers)) == 1 and len(s.requests) == 16

    def broken(route, reply):
        raise RuntimeError("boom")

    with StandIn(mutator=broken) as s:
        status, _, text = raw(s, "GET", "/openai/v1/models")
        assert status == 500 and json.loads(text)["error"]["code"] == "InternalServerError"
