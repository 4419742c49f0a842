"""Request IDs: 000_618f909ca6807cc5.txt, section "Request IDs".

"To retrieve the ID of your request, you can use the `_request_id` property, which corresponds to the
`x-request-id` response header." Checked on a chat completion, a response, and on an error
(``APIStatusError.request_id``). Under profile azure every answer must also carry ``apim-request-id``, the
response header the Azure v1 spec declares. An answer without ``x-request-id`` leaves the documented
``_request_id`` None: that is a finding, never tolerated.
"""

from aoai_conformance import invariants, sdk, wire
from aoai_conformance.plugin import documented

SECTION = "Request IDs"
MESSAGES = [{"role": "user", "content": "When was Microsoft founded?"}]


def check_request_id(aoai, ex, status=200):
    wire.common(ex, aoai, expected_status=status)  # includes apim-request-id under profile azure
    sdk.request_id(ex)
    invariants.request_ids(ex.headers, ex.request_id, azure=aoai.azure)


@documented("_request_id", SECTION, capability="errors")
def test_chat_completion_request_id(aoai):
    """completion._request_id is the x-request-id response header of a chat completion"""
    ex = aoai.create("chat.completions", model=aoai.deployment("chat"), messages=MESSAGES, max_tokens=16)
    sdk.parsed(ex, "ChatCompletion")
    check_request_id(aoai, ex)


@documented("_request_id", SECTION, capability="errors")
def test_response_request_id(aoai):
    """response._request_id is the x-request-id response header of a responses.create call"""
    ex = aoai.create("responses", model=aoai.deployment("responses"), input="This is a test.",
                     max_output_tokens=16)
    sdk.parsed(ex, "Response")
    check_request_id(aoai, ex)


@documented("_request_id", SECTION, capability="errors")
def test_error_request_id(aoai):
    """APIStatusError.request_id is the x-request-id response header of an error answer"""
    ex = aoai.create("chat.completions", model="aoai-conformance-no-such-deployment", messages=MESSAGES,
                     max_tokens=16, options={"max_retries": 0}, expect_error=True)
    check_request_id(aoai, ex, status=404)
