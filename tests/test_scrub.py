"""Secrets never land in a cassette, a report or a log; ids and embeddings are kept (suites check them)."""

import base64
import json

from aoai_conformance.config import PLACEHOLDER_BASE_URL, PLACEHOLDER_HOST
from aoai_conformance.scrub import REDACTED, Scrubber, jwt_claim_ids

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
OBJECT = "0c4bb2d2-8f2e-4a0b-9a47-6a3f5f0c9e11"


def make_jwt(claims: dict) -> str:
    def enc(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{enc({'alg': 'RS256', 'typ': 'JWT'})}.{enc(claims)}.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


def test_claim_ids_come_from_the_token():
    assert set(jwt_claim_ids(make_jwt({"tid": TENANT, "oid": OBJECT}))) == {TENANT, OBJECT}


def test_configured_secrets_jwts_claims_and_host_are_scrubbed_everywhere():
    token = make_jwt({"tid": TENANT, "oid": OBJECT})
    s = Scrubber(
        ["canary-key-123456", token],
        "https://contoso-prod.openai.azure.com/openai/v1/",
        "contoso-prod.openai.azure.com",
    )
    other_jwt = make_jwt({"sub": "someone"})
    text = (
        f"key canary-key-123456 token {token} tenant {TENANT} object {OBJECT} other {other_jwt} "
        f"url https://contoso-prod.openai.azure.com/openai/v1/chat/completions"
    )
    out = s.text(text)
    for secret in ("canary-key-123456", token, TENANT, OBJECT, other_jwt, "contoso-prod"):
        assert secret not in out
    assert PLACEHOLDER_BASE_URL.rstrip("/") + "/chat/completions" in out and REDACTED in out


def test_credential_headers_are_dropped_and_other_values_scrubbed():
    s = Scrubber(["canary-key-123456"], "http://127.0.0.1:5555/openai/v1/", "127.0.0.1")
    headers = s.headers(
        {
            "Authorization": "Bearer canary-key-123456",
            "api-key": "canary-key-123456",
            "Cookie": "a=b",
            "Ocp-Apim-Subscription-Key": "x",
            "host": "127.0.0.1:5555",
            "x-echo": ["canary-key-123456 at 127.0.0.1:5555"],
        }
    )
    assert set(headers) == {"x-echo"}
    assert headers["x-echo"] == [f"{REDACTED} at {PLACEHOLDER_HOST}"]


def test_ids_request_ids_and_embeddings_are_kept():
    s = Scrubber(
        ["canary-key-123456"], "https://contoso.openai.azure.com/openai/v1/", "contoso.openai.azure.com"
    )
    body = json.dumps(
        {
            "id": "chatcmpl-AUhZ11g6aNb1Nnxjp4hFUNcszw3uf",
            "resp": "resp_088ffc6b5f37c64d0068e187d0c",
            "apim-request-id": "0b4d9c7e-4d6e-4c1b-9b1a-0e6d5f7a8b9c",
            "embedding": "AAAAPwAAgD8AAEBA" * 8,
            "floats": [0.009098228, -0.010369237],
        }
    )
    assert s.data(body) == body


def test_proxy_in_front_of_target_scrubs_to_the_same_placeholder():
    s = Scrubber([], "http://127.0.0.1:5555/openai/v1/", "127.0.0.1")
    s.add_base_url("http://127.0.0.1:6666/openai/v1/")
    assert s.text("http://127.0.0.1:6666/openai/v1/responses") == PLACEHOLDER_BASE_URL + "responses"


# Issue 12 item 6: only scheme and host (and port) become the placeholder; the path stays exactly as sent.
ORIGIN = "https://" + PLACEHOLDER_HOST


def test_the_path_is_kept_as_sent_for_a_server_at_v1():
    s = Scrubber(["canary-key-123456"], "http://10.20.30.40:8080/v1/", "10.20.30.40")
    out = s.text("POST http://10.20.30.40:8080/v1/chat/completions?x=1 key canary-key-123456")
    assert out == f"POST {ORIGIN}/v1/chat/completions?x=1 key {REDACTED}"


def test_the_path_is_kept_as_sent_for_a_server_at_its_root():
    s = Scrubber([], "http://gw.internal:8080/", "gw.internal")
    assert s.text("http://gw.internal:8080/chat/completions") == f"{ORIGIN}/chat/completions"
    assert s.text("http://gw.internal:8080/api/embeddings") == f"{ORIGIN}/api/embeddings"


def test_an_azure_resource_still_scrubs_to_the_placeholder_base_url():
    s = Scrubber([], "https://contoso-prod.openai.azure.com/openai/v1/", "contoso-prod.openai.azure.com")
    out = s.text("https://contoso-prod.openai.azure.com/openai/v1/responses/resp_1")
    assert out == PLACEHOLDER_BASE_URL + "responses/resp_1"


def test_a_proxy_in_front_keeps_its_path_and_leaves_no_port_behind():
    s = Scrubber([], "http://127.0.0.1:5555/v1/", "127.0.0.1")
    s.add_base_url("http://127.0.0.1:6666/v1/")
    assert s.text("http://127.0.0.1:6666/v1/chat/completions") == f"{ORIGIN}/v1/chat/completions"
    assert s.text("Host: 127.0.0.1:6666") == f"Host: {PLACEHOLDER_HOST}"


def test_no_key_token_claim_or_host_survives_with_any_path():
    token = make_jwt({"tid": TENANT, "oid": OBJECT})
    s = Scrubber(
        ["canary-key-123456", token], "https://gateway.contoso.example:8443/api/", "gateway.contoso.example"
    )
    text = (
        f"https://gateway.contoso.example:8443/api/chat/completions api-key=canary-key-123456 Bearer {token} "
        f"tid={TENANT} oid={OBJECT} host gateway.contoso.example:8443 again gateway.contoso.example "
        "http://gateway.contoso.example:8443/api/models"
    )
    out = s.text(text)
    for leaked in ("canary-key-123456", token, TENANT, OBJECT, "gateway", "contoso", "8443"):
        assert leaked not in out, (leaked, out)
    assert f"{ORIGIN}/api/chat/completions" in out and f"{ORIGIN}/api/models" in out
    headers = s.headers(
        {
            "api-key": "canary-key-123456",
            "Host": "gateway.contoso.example:8443",
            "x-ms-region": "gateway.contoso.example:8443/api",
        }
    )
    assert headers == {"x-ms-region": f"{PLACEHOLDER_HOST}/api"}
