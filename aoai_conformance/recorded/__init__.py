"""``aoai-conformance check``: the suite's layers over recordings users already have.

readers   files -> Interactions (HAR, VCR YAML/JSON, test-proxy JSON), bad input as one line each
identify  method + path + host -> the documented call, its API (v1 or dated) and the profile
judge     an Interaction through aoai_conformance.layers, with the SDK's own parse of the bytes
findings  listed real-server deviations (findings.toml): reported as such, not as new failures
run       cases -> results.json, JUnit, HTML and Markdown, the same reports as a run
"""

from .run import CheckOutcome, check

__all__ = ["CheckOutcome", "check"]
