"""Request IDs: 000_618f909ca6807cc5.txt, section "Request IDs".

"To retrieve the ID of your request, you can use the `_request_id` property, which corresponds to the
`x-request-id` response header." Checked on a chat completion, a response, and on an error
(``APIStatusError.request_id``). Under profile azure every answer must also carry ``apim-request-id``, the
response header the Azure v1 spec declares. An answer without ``x-request-id`` leaves the documented
``_request_id`` None: that is a finding, never tolerated.
"""

from aoai_conformance import layers
from aoai_conformance.plugin import documented

SECTION = "Request IDs"
MESSAGES = [{"role": "user", "content": "When was Microsoft founded?"}]


@documented("_request_id", SECTION, capability="chat")
def test_chat_completion_request_id(aoai):
    """completion._request_id is the x-request-id response header of a chat completion"""
    ex = aoai.create("chat.completions", model=aoai.deployment("chat"), messages=MESSAGES, max_tokens=16)
    layers.chat_completion(aoai, ex, max_tokens=16)  # _request_id == x-request-id, apim-request-id included


@documented("_request_id", SECTION, capability="responses")
def test_response_request_id(aoai):
    """response._request_id is the x-request-id response header of a responses.create call"""
    ex = aoai.create("responses", model=aoai.deployment("responses"), input="This is a test.",
                     max_output_tokens=16)
    layers.response(aoai, ex, model=aoai.deployment("responses"))


@documented("_request_id", SECTION, capability="errors")
def test_error_request_id(aoai):
    """APIStatusError.request_id is the x-request-id response header of an error answer"""
    ex = aoai.create("chat.completions", model="aoai-conformance-no-such-deployment", messages=MESSAGES,
                     max_tokens=16, options={"max_retries": 0}, expect_error=True)
    layers.status_error(aoai, ex, 404)  # e.request_id == x-request-id, apim-request-id included
