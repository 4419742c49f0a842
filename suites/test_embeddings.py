"""Embeddings: 000_618f909ca6807cc5.txt, section "Embeddings / embeddings.create()".

"Embeddings currently don't support Microsoft Entra ID with Azure OpenAI and the v1 API." (the section's
Microsoft Entra ID tab). So every test here keeps one cassette per auth mode, and expectations.toml lists the
entra cells as a documented gap: they fail on http.status, and a pass is reported as "documentation may be out
of date".

Each test checks in layers: wire (status, headers, credentials), schema, invariants (count, index order, one
vector length, dimensions, usage, base64 == float), and the SDK (the typed object, the decoded vectors).
"""

import struct

import pytest

from aoai_conformance import invariants, layers, sdk
from aoai_conformance.plugin import documented

DOC_INPUT = "Attenion is all you need"  # as documented, typo included
BATCH = ["Attenion is all you need", "This is a test.", "When was Microsoft founded?"]
SECTION = "Embeddings / embeddings.create()"
# Embeddings have no output tokens to cap.


def _float32(values):
    """What a JSON float vector is as float32 (what base64 carries)."""
    return list(struct.unpack(f"<{len(values)}f", struct.pack(f"<{len(values)}f", *values)))


@pytest.mark.per_auth_cassette
@documented("embeddings.create", SECTION, capability="embeddings")
def test_embeddings_create_float(aoai):
    """embeddings.create with encoding_format="float" returns one float vector for the documented input"""
    ex = aoai.create(
        "embeddings", model=aoai.deployment("embeddings"), input=DOC_INPUT, encoding_format="float"
    )
    response = layers.embeddings(aoai, ex, n_inputs=1)
    sdk.accessor(response.data[0].embedding, ex.body["data"][0]["embedding"], "embedding.data[0].embedding")


@pytest.mark.per_auth_cassette
@documented("embeddings.create", SECTION, capability="embeddings")
def test_embeddings_sdk_default_base64(aoai):
    """without encoding_format the SDK asks for base64 and decodes it to the float call's vector"""
    model = aoai.deployment("embeddings")
    floats = aoai.create("embeddings", model=model, input=DOC_INPUT, encoding_format="float")
    layers.embeddings(aoai, floats, n_inputs=1)
    ex = aoai.create("embeddings", model=model, input=DOC_INPUT)
    response = layers.embeddings(aoai, ex, n_inputs=1)
    # The SDK's default puts base64 on the wire (ex.body is the raw body) and hides it behind float lists.
    invariants.embedding_base64_matches(ex.body, floats.body)
    sdk.accessor(
        list(response.data[0].embedding),
        _float32(floats.body["data"][0]["embedding"]),
        "embedding.data[0].embedding (decoded by the SDK from base64)",
    )


@pytest.mark.per_auth_cassette
@documented("embeddings.create", SECTION, capability="embeddings")
def test_embeddings_batch_input(aoai):
    """a list of inputs returns one vector per input, in input order, all of one length"""
    ex = aoai.create("embeddings", model=aoai.deployment("embeddings"), input=BATCH, encoding_format="float")
    response = layers.embeddings(aoai, ex, n_inputs=len(BATCH))
    sdk.accessor(
        [d.index for d in response.data], [d["index"] for d in ex.body["data"]], "embedding.data[*].index"
    )


@pytest.mark.per_auth_cassette
@documented("embeddings.create", SECTION, capability="embeddings")
def test_embeddings_dimensions(aoai):
    """dimensions=256 returns vectors of length 256"""
    ex = aoai.create(
        "embeddings",
        model=aoai.deployment("embeddings"),
        input=DOC_INPUT,
        encoding_format="float",
        dimensions=256,
    )
    response = layers.embeddings(aoai, ex, n_inputs=1, dimensions=256)
    sdk.accessor(len(response.data[0].embedding), 256, "len(embedding.data[0].embedding)")
