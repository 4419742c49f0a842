"""One module per documented call: its promises (``PROMISES``, stable ids) and the invariants that check them.

Pure functions over plain JSON data (dicts and lists exactly as parsed off the wire). They look at shapes,
sums, ordering and documented behaviour, never at what the model's words say. Every broken promise raises
:class:`~aoai_conformance.checks.ConformanceFailure` naming a stable promise id; observations that must not
fail a test (an event type the spec does not list, a dated model snapshot) are noted through
:func:`~aoai_conformance.checks.note`.

Sources cited in the docstrings: ``[seed]`` the Azure OpenAI Python support page
(``shared/seeds/000_618f909ca6807cc5.txt``); ``[oai]`` the OpenAI OpenAPI spec
(``shared/specs/openai/openapi.json``, component named after the colon); ``[azure]`` the Azure v1 spec
(``shared/specs/azure/azure-v1-v1-generated.TRIMMED.json``).

* ``chat``             the chat.completion body, prompt filter results
* ``chat_stream``      chat.completion.chunk streams
* ``responses``        the Response body, its echoes of the request, output_text
* ``responses_stream`` the Responses event stream
* ``mcp``              responses.create with an MCP server tool, the approval turn
* ``embeddings``       the embeddings list, base64 vectors
* ``errors``           the error envelope, and the docs' "Error codes" table
* ``request_ids``      x-request-id, _request_id, apim-request-id
* ``retries``          the attempt log of the retry suite
* ``registry``         one row per documented call: path, streaming, schemas, object, SDK type, capability, route
* ``_shapes``          the shape helpers they share

Each call's module also holds its check bundle, ``check(ctx, ex, ...)``: every layer of the call (wire, schema,
invariants, SDK, request ids), reading its schema names and SDK type from its registry row; ``errors`` holds the
error bundles. ``aoai_conformance.invariants`` re-exports the body and stream checks and their merged
``PROMISES``; ``aoai_conformance.layers`` re-exports the bundles under the names suites call.
"""
