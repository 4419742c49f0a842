"""Chat: 000_618f909ca6807cc5.txt, section "Chat".

Each test makes the documented call once per auth mode and client, then checks it in layers: wire (status,
headers, credentials), schema (body and every stream event), invariants (usage sums, stream order, deltas),
and the SDK (typed objects and the accessors the docs print).
"""

import base64

from aoai_conformance import invariants, layers, schemas
from aoai_conformance.plugin import documented

OTHER_SDKS = "001_60994d7e1bcccbfb.txt"

MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "When was Microsoft founded?"},
]
# Output is capped on every call: the nightly matrix runs against a paid resource.
MAX_TOKENS = 64
# Reasoning tokens count against max_completion_tokens: the .NET sample's 100000 would let a reasoning model
# spend freely; effort "low" stays well below this, and a capped answer ("length") is still a documented one.
REASONING_MAX_COMPLETION_TOKENS = 512

DOC_IMAGE_URL = (
    "https://raw.githubusercontent.com/MicrosoftDocs/azure-ai-docs/main/articles/ai-foundry/openai/media/"
    "how-to/generated-seattle.png"
)
# A 1x1 PNG as a data URL: the image-input call works even where the service cannot fetch URLs.
PNG_1X1 = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2b2a5c20000000049454e44ae426082"
    )
).decode()


@documented("chat.completions.create", "Chat / chat.completions.create()", capability="chat")
def test_chat_completion(aoai):
    """chat.completions.create returns a documented chat.completion"""
    ex = aoai.create(
        "chat.completions", model=aoai.deployment("chat"), messages=MESSAGES, max_tokens=MAX_TOKENS
    )
    layers.chat_completion(aoai, ex, max_tokens=MAX_TOKENS)


@documented("chat.completions.create", "Chat / chat.completions.create()", capability="chat")
def test_chat_completion_prompt_filter_results(aoai):
    """Azure reports prompt content filter results for each prompt"""
    aoai.require_azure("prompt_filter_results")
    ex = aoai.create(
        "chat.completions", model=aoai.deployment("chat"), messages=MESSAGES, max_tokens=MAX_TOKENS
    )
    layers.chat_completion(aoai, ex, max_tokens=MAX_TOKENS)
    results = ex.body.get("prompt_filter_results")
    invariants.prompt_filter_results(results, n_prompts=len(MESSAGES))
    for i, entry in enumerate(results):
        schemas.check(entry, "content-filter.prompt-entry", where=f"prompt_filter_results[{i}]")


@documented(
    "chat.completions.create (stream)", "Chat / chat.completions.create() - streaming", capability="chat"
)
def test_chat_completion_streaming(aoai):
    """stream=True yields chat.completion.chunk events that end with [DONE] and add up to the answer"""
    sx = aoai.stream(
        "chat.completions", model=aoai.deployment("chat"), messages=MESSAGES, max_tokens=MAX_TOKENS
    )
    layers.chat_stream(aoai, sx, max_tokens=MAX_TOKENS)


@documented(
    "chat.completions.create (stream)", "Chat / chat.completions.create() - streaming", capability="chat"
)
def test_chat_completion_streaming_include_usage(aoai):
    """stream_options.include_usage adds one final usage chunk whose numbers add up"""
    sx = aoai.stream(
        "chat.completions",
        model=aoai.deployment("chat"),
        messages=MESSAGES,
        max_tokens=MAX_TOKENS,
        stream_options={"include_usage": True},
    )
    layers.chat_stream(aoai, sx, include_usage=True, max_tokens=MAX_TOKENS)


@documented(
    "chat.completions.create (image input)",
    "Chat / chat.completions.create() - image input",
    capability="vision",
)
def test_chat_completion_image_url(aoai):
    """the documented image URL is accepted with max_tokens=300 and answered as a chat.completion"""
    content = [
        {"type": "text", "text": "What's in this image?"},
        {"type": "image_url", "image_url": {"url": DOC_IMAGE_URL}},
    ]
    ex = aoai.create(
        "chat.completions",
        model=aoai.deployment("vision"),
        max_tokens=300,
        messages=[{"role": "user", "content": content}],
    )
    layers.chat_completion(aoai, ex, max_tokens=300)


@documented(
    "chat.completions.create (image input)",
    "Chat / chat.completions.create() - image input",
    capability="vision",
)
def test_chat_completion_image_data_url(aoai):
    """a base64 data URL image is accepted like the URL form"""
    content = [
        {"type": "text", "text": "What's in this image?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_1X1}"}},
    ]
    ex = aoai.create(
        "chat.completions",
        model=aoai.deployment("vision"),
        max_tokens=MAX_TOKENS,
        messages=[{"role": "user", "content": content}],
    )
    layers.chat_completion(aoai, ex, max_tokens=MAX_TOKENS)


@documented(
    "chat.completions.create",
    "Chat / chat completions request to a reasoning model (.NET)",
    capability="reasoning",
    doc=OTHER_SDKS,
)
def test_chat_completion_reasoning_effort_low(aoai):
    """reasoning_effort="low" with a developer message on a reasoning deployment returns a documented chat.completion"""
    # The .NET sample builds ChatCompletionOptions (ReasoningEffortLevel.Low, MaxOutputTokenCount) but never passes
    # them to CompleteChat; the call sends what the options say, as the sample means.
    ex = aoai.create(
        "chat.completions",
        model=aoai.deployment("reasoning"),
        messages=[
            {"role": "developer", "content": "You are a helpful assistant"},
            {"role": "user", "content": "Tell me about the bitter lesson"},
        ],
        reasoning_effort="low",
        max_completion_tokens=REASONING_MAX_COMPLETION_TOKENS,
    )
    layers.chat_completion(aoai, ex, max_tokens=REASONING_MAX_COMPLETION_TOKENS)
