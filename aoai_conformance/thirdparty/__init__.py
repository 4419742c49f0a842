"""Compatibility report across real OpenAI-compatible servers nobody on this team wrote.

    python -m aoai_conformance.thirdparty [--servers aimock,llamacpp,litellm,infinity] [--cache DIR]

Installs each server once into its own virtual environment under a cache directory outside the repo
(``~/.cache/aoai-conformance/thirdparty`` unless ``--cache`` or ``AOAI_CONFORMANCE_THIRDPARTY_CACHE`` says
otherwise), starts them on 127.0.0.1 (free ports, stopped afterwards, even on error), writes a ``targets.toml``
in which each server declares what it claims (profile ``openai``, capabilities, deployments, ``api_key_env``),
and runs the suite live once against the stand-in and every server: one matrix, one column per target, in
``reports/thirdparty/``. Findings per server: ``FINDINGS.md`` beside this file.
"""

from .servers import SERVERS, Server, Started, start_servers  # noqa: F401
