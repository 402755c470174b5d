"""Settings: lenient validation (keep valid fields, report and default invalid ones), schema export."""

from __future__ import annotations

import msgspec
import pytest

from infilld.config import (
    DEFAULT_MODEL,
    Settings,
    load_settings,
    settings_json_schema,
    vscode_configuration_properties,
)


def test_defaults() -> None:
    s = Settings()
    assert s.model.name == DEFAULT_MODEL
    assert s.model.backend == "llama"
    assert s.completion.temperature == 0.0  # greedy by default
    assert s.completion.max_tokens > 0 and s.completion.timeout_ms >= 50


@pytest.mark.parametrize("raw", [None, {}])
def test_empty_input_is_defaults(raw: object) -> None:
    settings, problems = load_settings(raw)
    assert settings == Settings()
    assert problems == []


def test_camel_and_snake_case_keys_are_accepted() -> None:
    settings, problems = load_settings(
        {"completion": {"maxTokens": 12, "max_lines": 3}, "logLevel": "debug"}
    )
    assert problems == []
    assert settings.completion.max_tokens == 12
    assert settings.completion.max_lines == 3
    assert settings.log_level == "debug"


def test_invalid_fields_are_reported_and_defaulted_valid_ones_kept() -> None:
    settings, problems = load_settings(
        {
            "completion": {"maxTokens": "many", "timeoutMs": 10, "maxLines": 4},
            "model": {"backend": "gpt", "threads": 2},
            "logLevel": "loud",
        }
    )
    defaults = Settings()
    assert settings.completion.max_tokens == defaults.completion.max_tokens
    assert settings.completion.timeout_ms == defaults.completion.timeout_ms
    assert settings.completion.max_lines == 4
    assert settings.model.backend == defaults.model.backend
    assert settings.model.threads == 2
    assert settings.log_level == defaults.log_level
    assert len(problems) == 4
    joined = "\n".join(problems)
    for path in ("completion.maxTokens", "completion.timeoutMs", "model.backend", "logLevel"):
        assert path in joined
    # each message says what is used instead
    assert all("using" in p for p in problems)


def test_unknown_keys_and_wrong_shapes() -> None:
    settings, problems = load_settings({"bogus": 1, "model": 5, "completion": {"nope": True}})
    assert settings == Settings()
    assert any("unknown setting 'bogus'" in p for p in problems)
    assert any("unknown setting 'completion.nope'" in p for p in problems)
    assert any("'model' must be an object" in p for p in problems)


@pytest.mark.parametrize("raw", [[1, 2], "text", 3])
def test_non_object_settings(raw: object) -> None:
    settings, problems = load_settings(raw)
    assert settings == Settings()
    assert len(problems) == 1 and "must be an object" in problems[0]


def test_bool_is_not_an_int() -> None:
    settings, problems = load_settings({"completion": {"maxTokens": True}})
    assert settings.completion.max_tokens == Settings().completion.max_tokens
    assert problems


def test_client_settings_merge_over_a_base() -> None:
    base, _ = load_settings({"model": {"backend": "fake", "name": "x.gguf"}})
    merged, problems = load_settings({"completion": {"maxTokens": 7}}, base)
    assert problems == []
    assert merged.model.backend == "fake" and merged.model.name == "x.gguf"
    assert merged.completion.max_tokens == 7
    # an invalid client value falls back to the base, not to the schema default
    merged, problems = load_settings({"model": {"backend": 1}}, base)
    assert merged.model.backend == "fake"
    assert problems and "'fake'" in problems[0]


def test_load_does_not_mutate_base() -> None:
    base = Settings()
    load_settings({"completion": {"maxTokens": 3}}, base)
    assert base.completion.max_tokens == Settings().completion.max_tokens


def test_json_schema_roundtrip() -> None:
    schema = settings_json_schema()
    assert "$defs" in schema
    encoded = msgspec.json.encode(Settings())
    assert msgspec.json.decode(encoded, type=Settings) == Settings()


def test_vscode_properties_match_defaults() -> None:
    props = vscode_configuration_properties()
    s = Settings()
    assert props["infilld.model.name"]["default"] == s.model.name
    assert props["infilld.completion.maxTokens"]["default"] == s.completion.max_tokens
    assert props["infilld.completion.maxTokens"]["type"] == "integer"
    assert sorted(props["infilld.model.backend"]["enum"]) == ["fake", "llama"]
    assert props["infilld.logLevel"]["default"] == "info"
    # every leaf setting, and nothing else
    assert set(props) == set(leaves(Settings(), "infilld"))


def leaves(struct: msgspec.Struct, prefix: str) -> list[str]:
    out = []
    for attr, key in zip(struct.__struct_fields__, struct.__struct_encode_fields__, strict=True):
        sub = getattr(struct, attr)
        if isinstance(sub, msgspec.Struct):
            out += leaves(sub, f"{prefix}.{key}")
        else:
            out.append(f"{prefix}.{key}")
    return out
