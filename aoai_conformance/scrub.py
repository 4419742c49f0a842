"""Secrets out of everything that is written: cassettes, reports, logs.

Scrubbed: credential headers, the configured key and token values wherever they appear, any JWT anywhere,
the target's scheme, host and port (-> ``https://resource.openai.azure.invalid``; the path is kept exactly as
sent, so a recording shows where the call went), and tenant/object ids taken from token claims. Kept on purpose:
response ids (chatcmpl-…, resp_…), request ids and embeddings: they are not secrets and the suites check them.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Iterable
from urllib.parse import urlsplit

from .config import PLACEHOLDER_HOST, placeholder_origin

# `host` is not secret, but carries the resource name and port; it is derived from the URL anyway.
SECRET_HEADERS = frozenset(
    {
        "host",
        "authorization",
        "api-key",
        "cookie",
        "set-cookie",
        "ocp-apim-subscription-key",
        "proxy-authorization",
        "x-ms-client-principal",
        "x-ms-token-aad-access-token",
    }
)
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
REDACTED = "REDACTED"
_ORIGIN = placeholder_origin()  # https://resource.openai.azure.invalid


def jwt_claim_ids(token: str) -> list[str]:
    """Tenant and object ids inside a JWT's claims (they identify the caller's directory and principal)."""
    ids: list[str] = []
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
    def __init__(
        self, secrets: Iterable[str] = (), base_url: str | None = None, host: str | None = None
    ) -> None:
        self.secrets: list[str] = []
        values = []
        for secret in secrets:
            if secret:
                values.append(secret)
                values.extend(jwt_claim_ids(secret))
        # Longest first, so a value containing another is replaced whole.
        for value in sorted(set(values), key=len, reverse=True):
            if len(value) >= 4:
                self.secrets.append(value)
        self.netlocs: list[str] = []  # host:port and host alone, each scrubbed to the placeholder host
        self._origin: re.Pattern[str] | None = None
        if base_url:
            self.add_base_url(base_url)
        if host:
            self._add_netloc(host)

    def add_base_url(self, base_url: str) -> None:
        """A URL that stands for the target (its own, or a proxy in front of it): its scheme, host and port become
        the placeholder's wherever they appear; what follows (the path as sent) is kept."""
        netloc = urlsplit(base_url).netloc
        if netloc:
            self._add_netloc(netloc)

    def _add_netloc(self, netloc: str) -> None:
        if netloc == PLACEHOLDER_HOST or netloc in self.netlocs:
            return
        # host:port before host alone (longest first), so no port is left dangling after the placeholder
        self.netlocs = sorted([*self.netlocs, netloc], key=len, reverse=True)
        alternatives = "|".join(re.escape(n) for n in self.netlocs)
        self._origin = re.compile(rf"https?://(?:{alternatives})")  # http or https: the placeholder is https

    @property
    def replacements(self) -> list[tuple[str, str]]:
        """Plain replacements in the order :meth:`text` applies them after the URL origins."""
        return [(v, REDACTED) for v in self.secrets] + [(n, PLACEHOLDER_HOST) for n in self.netlocs]

    def text(self, value: str) -> str:
        for secret in self.secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        if self._origin is not None:
            value = self._origin.sub(_ORIGIN, value)
            for netloc in self.netlocs:
                if netloc in value:
                    value = value.replace(netloc, PLACEHOLDER_HOST)
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
        request = request.__class__(
            request.method,
            self.text(request.uri),
            self.data(request.body),
            self.headers(dict(request.headers)),
        )
        return request

    def vcr_response(self, response: dict) -> dict:
        response["headers"] = self.headers(response.get("headers", {}))
        body = response.get("body", {})
        if "string" in body:
            body["string"] = self.data(body["string"])
        return response
