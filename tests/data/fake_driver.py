"""A tiny driver in Python (drivers/PROTOCOL.md), standard library only but for the error classes it takes from
the package's openai-node profile: the own tests' stand-in for another SDK.

It behaves like openai-node 6.x as far as the harness can see (the same paths, credentials, retry rules, error
classes, accessors, stream events), so the harness is proved without any toolchain. ``FAKE_DRIVER_BREAK`` makes it
break one promise at a time: ``error-class`` (every error is an APIError), ``accessor`` (a wrong
message_content / output_text), ``no-retry`` (never retries), ``stream-short`` (the last event is not yielded),
``body`` (an extra field in the body), ``no-send`` (fails before sending anything), ``scope`` (the token asked for another scope), ``request-id`` (a request id the answer did not carry), ``twice`` (sends a call again after its answer), ``crash`` (exits on the first request), ``hang`` (never answers).
"""

from __future__ import annotations

import email.utils
import functools
import http.client
import json
import os
import random
import ssl
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

BREAK = os.environ.get("FAKE_DRIVER_BREAK", "")
PATHS = {
    "chat.completions.create": "chat/completions",
    "responses.create": "responses",
    "embeddings.create": "embeddings",
}


@functools.lru_cache(maxsize=1)
def node_profile():
    """openai-node's error classes as the package's profile has them (tests/test_driver_node.py proves that
    profile on the real SDK); imported on the first error only, so a start stays quick."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from aoai_conformance.sdks.coverage import NODE

    return NODE.profile


def error_class(status):
    if BREAK == "error-class":
        return "APIError"
    profile = node_profile()
    if status >= 500:
        return profile.server_error_class
    return profile.error_classes.get(status, profile.other_status_class)


class Connection(Exception):
    pass


def send(url, method, headers, body, timeout):
    parts = urlsplit(url)
    if parts.scheme == "https":
        context = ssl.create_default_context(cafile=os.environ.get("SSL_CERT_FILE"))
        conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request(method, parts.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    except (OSError, http.client.HTTPException) as exc:
        raise Connection(f"{type(exc).__name__}: {exc}") from None
    finally:
        conn.close()


def wait_for(headers, retry, max_retries):
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    after = headers.get("retry-after")
    if after:
        try:
            return float(after)
        except ValueError:
            try:
                return email.utils.parsedate_to_datetime(after).timestamp() - time.time()
            except (TypeError, ValueError):
                pass
    return min(0.5 * 2**retry, 8.0) * (1 - random.random() * 0.25)


def should_retry(status, headers):
    flag = headers.get("x-should-retry")
    if flag in ("true", "false"):
        return flag == "true"
    return status in (408, 409, 429) or status >= 500


def accessors(names, body):
    out, missing = {}, []
    for name in names:
        if name.startswith("usage."):
            value = (body.get("usage") or {}).get(name[6:])
        elif name == "message_content":
            value = body["choices"][0]["message"].get("content")
        elif name == "finish_reason":
            value = body["choices"][0].get("finish_reason")
        elif name == "output_text":
            value = "".join(
                p.get("text", "")
                for item in body.get("output") or []
                if item.get("type") == "message"
                for p in item.get("content") or []
                if p.get("type") == "output_text"
            )
        elif name == "embedding_count":
            value = len(body.get("data") or [])
        elif name in ("embedding_dims", "embedding_first"):
            vector = body["data"][0]["embedding"]
            value = len(vector) if name == "embedding_dims" else vector[:10]
        else:
            value = body.get(name)
        if BREAK == "accessor" and name in ("message_content", "output_text"):
            value = (value or "") + " (wrong)"
        out[name] = value
    return out, missing


def events_of(data):
    events, text = [], ""
    for block in data.decode().replace("\r\n", "\n").split("\n\n"):
        lines = [ln[5:].lstrip() for ln in block.split("\n") if ln.startswith("data:")]
        if not lines or lines[0] == "[DONE]":
            continue
        obj = json.loads("\n".join(lines))
        events.append({"type": obj.get("type"), "object": obj.get("object"), "json": obj})
        if obj.get("type") == "response.output_text.delta":
            text += obj.get("delta") or ""
        for c in (obj.get("choices") or [])[:1]:
            text += (c.get("delta") or {}).get("content") or ""
    if BREAK == "stream-short" and events:
        events.pop()
    return events, text


def handle(req):
    start = time.monotonic()
    call = req.get("call")
    if call not in PATHS:
        return {
            "ok": False,
            "error": {"class": "DriverError", "status": None, "message": f"unknown call {call}"},
        }
    if BREAK == "no-send":
        return {"ok": False, "error": {"class": "errorString", "status": None, "message": "refused to send"}}
    if req.get("client") == "sync":
        return {"ok": False, "error": {"class": "Unsupported", "status": None, "message": "async only"}}
    auth = req["auth"]
    base = req["env"]["OPENAI_BASE_URL"] if auth == "env" else req["base_url"]
    credential = {"entra": req.get("token"), "key": req.get("api_key")}.get(
        auth, req["env"].get("OPENAI_API_KEY")
    )
    body = dict(req.get("params") or {})
    if req.get("stream"):
        body["stream"] = True
    if BREAK == "body":
        body["temperature"] = 0.5
    max_retries = (req.get("options") or {}).get("max_retries", 2)
    if BREAK == "no-retry":
        max_retries = 0
    deadline = start + req.get("deadline_ms", 60000) / 1000
    retry = 0
    while True:
        headers = {
            "Authorization": f"Bearer {credential}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-Stainless-Retry-Count": str(retry),
            "X-Stainless-Lang": "js",
        }
        try:
            status, rh, data = send(base + PATHS[call], "POST", headers, json.dumps(body), 30)
        except Connection as exc:
            status, rh, data, failure = None, {}, b"", str(exc)
        retryable = status is None or should_retry(status, rh)
        if status is not None and status < 400 and BREAK == "twice" and retry == 0:
            retry += 1  # sends the call once more after it succeeded
            continue
        if status is not None and status < 400:
            break
        if not retryable or retry >= max_retries:
            break
        pause = wait_for(rh, retry, max_retries) if status is not None else min(0.5 * 2**retry, 8.0)
        if time.monotonic() + pause > deadline:
            time.sleep(max(0.0, deadline - time.monotonic()))
            return {
                "ok": False,
                "watchdog": True,
                "error": {"class": "Watchdog", "status": None, "message": "deadline"},
            }
        time.sleep(max(0.0, pause))
        retry += 1
    elapsed = (time.monotonic() - start) * 1000
    if status is None:
        return {
            "ok": False,
            "elapsed_ms": elapsed,
            "error": {"class": "APIConnectionError", "status": None, "message": failure},
        }
    if status >= 400:
        try:
            err = json.loads(data).get("error") or {}
        except ValueError:
            err = {}
        return {
            "ok": False,
            "status": status,
            "elapsed_ms": elapsed,
            "error": {
                "class": error_class(status),
                "status": status,
                "code": err.get("code"),
                "type": err.get("type"),
                "message": err.get("message"),
                "request_id": rh.get("x-request-id"),
            },
        }
    result = {
        "ok": True,
        "status": status,
        "elapsed_ms": elapsed,
        "request_id": "req_invented" if BREAK == "request-id" else rh.get("x-request-id"),
        "strict": None,
    }
    if auth == "entra":
        result["credential_scopes"] = [
            "https://management.azure.com/.default" if BREAK == "scope" else req["scope"]
        ]
    if req.get("stream"):
        result["events"], result["text"] = events_of(data)
        return result
    parsed = json.loads(data)
    result["parsed"] = parsed
    result["accessors"], result["missing"] = accessors(req.get("accessors") or [], parsed)
    return result


def main():
    print(
        json.dumps(
            {
                "hello": {
                    "sdk": "fake",
                    "version": "6.49.0",
                    "runtime": sys.version.split()[0],
                    "identity": "none",
                }
            }
        ),
        flush=True,
    )
    for line in sys.stdin:
        if not line.strip():
            continue
        if BREAK == "crash":
            sys.stderr.write("fake driver: crashing as asked\n")
            sys.exit(3)
        if BREAK == "hang":
            time.sleep(3600)
        try:
            req = json.loads(line)
        except ValueError:
            req = {}
        try:
            result = handle(req)
        except Exception as exc:  # a request it cannot understand still gets a result
            result = {"ok": False, "error": {"class": "DriverError", "status": None, "message": repr(exc)}}
        result["id"] = req.get("id")
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
