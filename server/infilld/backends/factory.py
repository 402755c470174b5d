"""Choosing and constructing the backend named in the settings."""

from __future__ import annotations

from infilld.backends.base import Backend
from infilld.config import ModelSettings


def create_backend(settings: ModelSettings) -> Backend:
    """The configured backend, not yet loaded. Raises a ModelError if the model file is unusable."""
    if settings.backend == "fake":
        from infilld.backends.fake import FakeBackend

        return FakeBackend()
    from infilld.backends.llama import LlamaBackend
    from infilld.models.fetch import ensure_model

    return LlamaBackend(ensure_model(settings.name), settings)
