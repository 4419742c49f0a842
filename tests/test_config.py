"""Targets and settings: configured without code, and every mistake told in one line."""

from pathlib import Path

import pytest

from aoai_conformance import config
from aoai_conformance.config import ConfigError, normalize_base_url, resolve


def settings(env, **kw):
    opts = dict(
        mode=None,
        auth=None,
        target=None,
        targets_file=None,
        reports_dir=None,
        profile=None,
        client=None,
        cassettes_dir=None,
    )
    opts.update(kw)
    return resolve(**opts, default_cassettes=Path("cassettes"), env=env)


@pytest.mark.parametrize(
    "endpoint, expected",
    [
        ("https://res.openai.azure.com", "https://res.openai.azure.com/openai/v1/"),
        ("https://res.openai.azure.com/", "https://res.openai.azure.com/openai/v1/"),
        ("https://res.openai.azure.com/openai/v1/", "https://res.openai.azure.com/openai/v1/"),
        ("https://res.openai.azure.com/openai/v1", "https://res.openai.azure.com/openai/v1/"),
        ("http://127.0.0.1:4000/v1", "http://127.0.0.1:4000/v1/"),
    ],
)
def test_endpoint_gets_openai_v1_unless_it_ends_in_v1(endpoint, expected):
    assert normalize_base_url(endpoint) == expected


# Issue 12 item 6: only an Azure resource host is completed; any other URL's path is the server's, as written.
@pytest.mark.parametrize(
    "host, path, expected",
    [
        # Azure hosts: an empty path gets /openai/v1/, /openai gets /v1/, anything else is kept
        ("https://res.openai.azure.com", "", "https://res.openai.azure.com/openai/v1/"),
        ("https://res.openai.azure.com", "/", "https://res.openai.azure.com/openai/v1/"),
        ("https://res.openai.azure.com", "/openai", "https://res.openai.azure.com/openai/v1/"),
        ("https://res.openai.azure.com", "/openai/", "https://res.openai.azure.com/openai/v1/"),
        ("https://res.openai.azure.com", "/openai/v1", "https://res.openai.azure.com/openai/v1/"),
        ("https://RES.OpenAI.Azure.com", "", "https://RES.OpenAI.Azure.com/openai/v1/"),
        ("https://res.cognitiveservices.azure.com", "", "https://res.cognitiveservices.azure.com/openai/v1/"),
        (
            "https://res.cognitiveservices.azure.com",
            "/openai",
            "https://res.cognitiveservices.azure.com/openai/v1/",
        ),
        ("https://proj.services.ai.azure.com", "/", "https://proj.services.ai.azure.com/openai/v1/"),
        ("https://proj.services.ai.azure.com", "/openai", "https://proj.services.ai.azure.com/openai/v1/"),
        ("https://res.openai.azure.com:443", "", "https://res.openai.azure.com:443/openai/v1/"),
        ("https://res.openai.azure.us", "", "https://res.openai.azure.us/openai/v1/"),
        ("https://res.openai.azure.com", "/custom/base", "https://res.openai.azure.com/custom/base/"),
        # any other server: its path as written, only a trailing / normalised
        ("http://127.0.0.1:8080", "", "http://127.0.0.1:8080/"),
        ("http://127.0.0.1:8080", "/", "http://127.0.0.1:8080/"),
        ("http://127.0.0.1:8080", "/v1", "http://127.0.0.1:8080/v1/"),
        ("http://127.0.0.1:8080", "/v1/", "http://127.0.0.1:8080/v1/"),
        ("http://localhost:3000", "/api", "http://localhost:3000/api/"),
        ("http://localhost:3000", "/api/v1", "http://localhost:3000/api/v1/"),
        ("http://127.0.0.1:4010", "/openai/v1", "http://127.0.0.1:4010/openai/v1/"),
        ("http://127.0.0.1:4010", "/openai", "http://127.0.0.1:4010/openai/"),
        ("https://gateway.example.com", "/openai", "https://gateway.example.com/openai/"),
        ("https://api.openai.com", "/v1", "https://api.openai.com/v1/"),
        ("https://azure.com.example.org", "", "https://azure.com.example.org/"),
        ("https://openai.azure.com.attacker.example", "", "https://openai.azure.com.attacker.example/"),
    ],
)
def test_base_url_only_completes_azure_resource_hosts(host, path, expected):
    assert normalize_base_url(host + path) == expected


def test_a_server_at_its_root_is_targeted_at_its_root():
    env = {"AZURE_OPENAI_ENDPOINT": "http://127.0.0.1:8080", "AZURE_OPENAI_API_KEY": "k"}
    (t,) = settings(env, mode="live").targets
    assert t.base_url == "http://127.0.0.1:8080/" and t.kind == "openai-compatible"


def test_replay_sends_to_the_placeholder_host_with_the_targets_own_path(tmp_path):
    # The scrubber keeps a recorded request's path as sent, so replay must ask for that same path.
    f = tmp_path / "targets.toml"
    f.write_text(
        '[targets.root]\nbase_url = "http://127.0.0.1:8080/api"\nprofile = "openai"\n'
        '[targets.prod]\nbase_url = "https://prod.openai.azure.com"\n'
    )
    s = settings({}, mode="replay", target="root,prod,standin", targets_file=str(f))
    urls = {t.name: t.base_url for t in s.targets}
    assert urls == {
        "root": "https://resource.openai.azure.invalid/api/",
        "prod": config.PLACEHOLDER_BASE_URL,
        "standin": config.PLACEHOLDER_BASE_URL,
    }


def test_replay_of_endpoint_uses_the_endpoints_path_when_it_is_set():
    s = settings({"AZURE_OPENAI_ENDPOINT": "http://127.0.0.1:9/v1"}, mode="replay", target="endpoint")
    assert s.targets[0].base_url == "https://resource.openai.azure.invalid/v1/"
    assert settings({}, mode="replay", target="endpoint").targets[0].base_url == config.PLACEHOLDER_BASE_URL


def test_endpoint_that_is_not_a_url_is_one_line():
    with pytest.raises(ConfigError, match="is not a URL"):
        normalize_base_url("res.openai.azure.com")


def test_replay_defaults_to_bundled_standin_cassettes_with_fake_credentials():
    s = settings({})
    assert s.mode == "replay" and s.auth == ("entra", "key", "env") and s.clients == ("sync", "async")
    (t,) = s.targets
    assert t.name == "standin" and t.kind == "cassettes" and t.api_key == config.REPLAY_API_KEY
    assert t.base_url == config.PLACEHOLDER_BASE_URL


def test_live_target_from_azure_environment_names():
    env = {
        "AZURE_OPENAI_ENDPOINT": "https://res.openai.azure.com",
        "AZURE_OPENAI_API_KEY": "k",
        "AZURE_OPENAI_CHAT_DEPLOYMENT": "my-gpt",
        "AZURE_OPENAI_TOKEN_SCOPE": "api://x/.default",
    }
    s = settings(env, mode="live")
    (t,) = s.targets
    assert t.kind == "azure" and t.api_key == "k" and t.token_scope == "api://x/.default"
    assert t.deployment("chat") == "my-gpt" and t.deployment("embeddings") == "text-embedding-3-large"
    assert s.clients == ("sync",), "live runs default to the sync client to save tokens"
    assert t.display_host == "RESOURCE.openai.azure.com"


def test_command_line_beats_environment_beats_default():
    assert (
        settings({"AOAI_CONFORMANCE_MODE": "live", "AZURE_OPENAI_ENDPOINT": "http://h:1/v1"}).mode == "live"
    )
    assert settings({"AOAI_CONFORMANCE_MODE": "live"}, mode="replay").mode == "replay"


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"mode": "recrod"}, "unknown mode 'recrod': use --mode replay, record or live"),
        ({"auth": "key,aad"}, "unknown auth mode 'aad'"),
        ({"profile": "gcp"}, "unknown profile 'gcp'"),
        ({"target": "prod"}, "unknown target 'prod'"),
        ({"mode": "live"}, "no target: set AZURE_OPENAI_ENDPOINT"),
    ],
)
def test_bad_settings_are_one_line(kw, message):
    with pytest.raises(ConfigError) as exc:
        settings({}, **kw)
    assert message in str(exc.value) and "\n" not in str(exc.value)


def test_targets_file_names_secrets_by_variable(tmp_path):
    f = tmp_path / "targets.toml"
    f.write_text(
        '[targets.prod]\nbase_url = "https://prod.openai.azure.com"\napi_key_env = "PROD_KEY"\n'
        'capabilities = ["chat"]\n[targets.prod.deployments]\nchat = "gpt-4o-prod"\n'
        '[targets.local]\nbase_url = "http://127.0.0.1:8000/v1"\nprofile = "openai"\n'
    )
    s = settings({"PROD_KEY": "secret"}, mode="live", target="prod,local", targets_file=str(f))
    prod, local = s.targets
    assert prod.api_key == "secret" and prod.deployment("chat") == "gpt-4o-prod" and prod.claims("chat")
    assert not prod.claims("embeddings")
    assert local.profile == "openai" and local.base_url == "http://127.0.0.1:8000/v1/"


@pytest.mark.parametrize(
    "text, message",
    [
        ('[targets.p]\nbase_url = "https://p"\napi_key = "sk-123"\n', "use api_key_env"),
        ("[targets.p\n", "is not valid TOML"),
        ("[other]\nx = 1\n", "has no [targets.NAME] table"),
        ('[targets.p]\nprofile = "azure"\n', "needs base_url or base_url_env"),
        ('[targets.p]\nbase_url = "https://p.openai.azure.com"\nprofile = "aws"\n', "has profile 'aws'"),
        ('[targets.p]\nbase_url_env = "NOPE"\n', "takes its URL from $NOPE, which is not set"),
    ],
)
def test_bad_targets_file_is_one_line(tmp_path, text, message):
    f = tmp_path / "targets.toml"
    f.write_text(text)
    with pytest.raises(ConfigError) as exc:
        settings({}, mode="live", target="p", targets_file=str(f))
    assert message in str(exc.value) and "\n" not in str(exc.value)


def test_missing_targets_file_names_the_fix(tmp_path):
    with pytest.raises(ConfigError, match="not found: create it"):
        settings({}, targets_file=str(tmp_path / "nope.toml"), target="x")
