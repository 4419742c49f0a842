"""aoai-conformance: a conformance suite for the Azure OpenAI v1 API and the official openai SDK."""

__version__ = "0.1.0"
