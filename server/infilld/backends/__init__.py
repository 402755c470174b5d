"""Model backends behind one small interface: in-process llama.cpp, and a deterministic fake for tests."""

from infilld.backends.base import Backend, GenerationRequest, GenerationResult, StopReason

__all__ = ["Backend", "GenerationRequest", "GenerationResult", "StopReason"]
