"""Replay's clients share one SSL context that trusts no certificate authority (cassettes.share_tls_context):
cheap to build, and closed rather than open should a connection ever get past the network guard."""

from __future__ import annotations

import sys
import textwrap

from conftest import run

PROBE = textwrap.dedent(
    """
    import ssl
    from aoai_conformance import cassettes
    from aoai_conformance.sdk import HTTP

    cassettes.share_tls_context()
    make = HTTP._transports.default.create_ssl_context
    shared = make()
    assert make() is shared, "one context for every default client"
    assert shared.verify_mode == ssl.CERT_REQUIRED and shared.check_hostname, "verification stays on"
    assert shared.cert_store_stats()["x509_ca"] == 0, "no certificate authority is trusted"
    custom = ssl.create_default_context()
    assert make(verify=custom) is custom, "an explicit context is used as given"
    print("ok")
    """
)


def test_replay_clients_share_a_context_that_trusts_no_authority():
    r = run([sys.executable, "-c", PROBE])
    assert r.code == 0 and r.out.strip() == "ok", r.out
