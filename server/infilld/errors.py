"""The one exception tree of infilld: every error a user can meet, each with a message they can act on."""

from __future__ import annotations


class InfilldError(Exception):
    """Base of every error infilld raises on purpose; `str()` is a message for the user."""


class ConfigError(InfilldError):
    """A setting has a wrong type or value (the default is used instead)."""


class ModelError(InfilldError):
    """Anything wrong with a model: unknown name, missing, corrupt, failed to load."""


class UnknownModelError(ModelError):
    """A model name that is neither in the registry nor a path to a file."""


class ModelMissingError(ModelError):
    """A registry model that has not been pulled into the cache yet."""


class ModelCorruptError(ModelError):
    """A model file whose size or sha256 does not match, or that is not a GGUF file."""


class ModelFetchError(ModelError):
    """Downloading or assembling a model failed."""


class ModelLoadError(ModelError):
    """llama.cpp could not load the model file."""


class BackendError(InfilldError):
    """The model backend failed while serving a request."""


class BackendNotReadyError(BackendError):
    """The model is still loading, or failed to load."""


class GenerationCancelled(InfilldError):
    """A generation was cancelled (a newer request superseded it, or the client cancelled)."""


class DocumentError(InfilldError):
    """A request names a document or position that cannot be served (unknown URI, binary, too large)."""
