"""Secrets out of everything that is written: cassettes, reports, logs.

Scrubbed: credential headers, the configured key and token values wherever they appear, any JWT anywhere,
the resource host name (-> a placeholder), and tenant/object ids taken from token claims. Kept on purpose:
response ids (chatcmpl-…, resp_…), request ids and embeddings: they are not secrets and the suites check them.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Iterable
from urllib.parse import urlsplit

from .config import PLACEHOLDER_BASE_URL, PLACEHOLDER_HOST

# `host` is not secret, but carries the resource name and port; it is derived from the URL anyway.
SECRET_HEADERS = frozenset({
    "host",
    "authorization", "api-key", "cookie", "set-cookie", "ocp-apim-subscription-key", "proxy-authorization",
    "x-ms-client-principal", "x-ms-token-aad-access-token",
})
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
REDACTED = "REDACTED"


def jwt_claim_ids(token: str) -> list[str]:
    """Tenant and object ids inside a JWT's claims (they identify the caller's directory and principal)."""
    ids = []
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return ids
    for name in ("tid", "oid", "appid", "azp", "sub", "upn", "unique_name", "email"):
        value = claims.get(name)
        if isinstance(value, str) and len(value) >= 6:
            ids.append(value)
    return ids


class Scrubber:
    def __init__(self, secrets: Iterable[str] = (), base_url: str | None = None, host: str | None = None) -> None:
        self.replacements: list[tuple[str, str]] = []
        values = []
        for secret in secrets:
            if secret:
                values.append(secret)
                values.extend(jwt_claim_ids(secret))
        # Longest first, so a value containing another is replaced whole.
        for value in sorted(set(values), key=len, reverse=True):
            if len(value) >= 4:
                self.replacements.append((value, REDACTED))
        if base_url and base_url.rstrip("/") != PLACEHOLDER_BASE_URL.rstrip("/"):
            self.replacements.append((base_url.rstrip("/"), PLACEHOLDER_BASE_URL.rstrip("/")))
        netloc = urlsplit(base_url).netloc if base_url else ""
        for value in (netloc, host):  # host:port first, so no port is left dangling after the placeholder
            if value and value != PLACEHOLDER_HOST and (value, PLACEHOLDER_HOST) not in self.replacements:
                self.replacements.append((value, PLACEHOLDER_HOST))

    def add_base_url(self, base_url: str) -> None:
        """Another URL that stands for the target (a proxy in front of it) scrubs to the same placeholder."""
        netloc = urlsplit(base_url).netloc
        self.replacements.insert(0, (base_url.rstrip("/"), PLACEHOLDER_BASE_URL.rstrip("/")))
        if netloc:
            self.replacements.append((netloc, PLACEHOLDER_HOST))

    def text(self, value: str) -> str:
        for old, new in self.replacements:
            if old in value:
                value = value.replace(old, new)
        return JWT.sub(REDACTED, value)

    def data(self, value: bytes | str | None) -> bytes | str | None:
        if value is None:
            return None
        if isinstance(value, bytes):
            try:
                decoded = value.decode("utf-8")
            except UnicodeDecodeError:
                return value
            return self.text(decoded).encode("utf-8")
        return self.text(value)

    def headers(self, headers: dict) -> dict:
        """Drop credential headers, scrub the values of the rest (values may be str or list[str])."""
        out = {}
        for name, value in headers.items():
            if name.lower() in SECRET_HEADERS:
                continue
            out[name] = [self.text(v) for v in value] if isinstance(value, list) else self.text(value)
        return out

    # vcrpy hooks ---------------------------------------------------------------------------------------
    def vcr_request(self, request):
        request = request.__class__(request.method, self.text(request.uri), self.data(request.body),
                                    self.headers(dict(request.headers)))
        return request

    def vcr_response(self, response: dict) -> dict:
        response["headers"] = self.headers(response.get("headers", {}))
        body = response.get("body", {})
        if "string" in body:
            body["string"] = self.data(body["string"])
        return response
