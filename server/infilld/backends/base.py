"""The backend interface: token-level prompt in, streamed text out, cancellable every token.

A prompt is a sequence of pieces: plain text (tokenized without special-token parsing, so code that
happens to contain `<|fim_prefix|>` stays text) and named special tokens. Backends own their native
resources on one worker thread; callers submit work with `submit` and await the future.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import enum
import threading
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

import msgspec

T = TypeVar("T")


class CancelEvent(threading.Event):
    """A threading.Event that also runs hooks when set, so a backend can mirror a cancellation
    into native memory that llama.cpp polls without taking Python's GIL."""

    def __init__(self) -> None:
        super().__init__()
        self._hooks: list[Callable[[], None]] = []
        self._hooks_lock = threading.Lock()

    def set(self) -> None:
        super().set()
        with self._hooks_lock:
            hooks = list(self._hooks)
        for hook in hooks:
            hook()

    def add_hook(self, hook: Callable[[], None]) -> None:
        with self._hooks_lock:
            self._hooks.append(hook)

    def remove_hook(self, hook: Callable[[], None]) -> None:
        with self._hooks_lock:
            if hook in self._hooks:
                self._hooks.remove(hook)


class Special(msgspec.Struct, frozen=True):
    """A special token by its text form, e.g. `<|fim_prefix|>`."""

    name: str


PromptPiece = str | Special
Prompt = Sequence[PromptPiece]


class StopReason(enum.Enum):
    STOP_TOKEN = "stop_token"  # the model ended the middle (or emitted any stop token)
    MAX_TOKENS = "max_tokens"
    DEADLINE = "deadline"  # the wall-clock cap was reached
    CANCELLED = "cancelled"
    CALLER = "caller"  # the caller's `should_stop(text)` said enough (e.g. enough lines)


class GenerationRequest(msgspec.Struct, kw_only=True):
    prompt: Prompt
    max_tokens: int
    stop_specials: tuple[str, ...] = ()
    temperature: float = 0.0
    # Re-generate the prompt's last token (token healing); the result text starts after it.
    heal: bool = False
    deadline: float | None = None  # time.monotonic() value
    cancel: threading.Event = msgspec.field(default_factory=CancelEvent)
    # Called with the text generated so far after each token; True stops generation.
    should_stop: Callable[[str], bool] | None = None
    # Which saved KV state this prompt belongs to (the file's path): backends that keep states of
    # recently used files save the live one under its key before another file's prompt replaces it.
    cache_key: str | None = None


class GenerationResult(msgspec.Struct, kw_only=True):
    text: str
    stop_reason: StopReason
    prompt_tokens: int  # tokens in the prompt
    evaluated_tokens: int  # prompt tokens that were not in the KV cache and had to be evaluated
    generated_tokens: int
    prompt_ms: float  # time to the first generated token (prompt evaluation)
    total_ms: float


class Backend(Protocol):
    """What the engine needs from a model."""

    name: str

    def submit(self, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        """Run `fn` on the backend's owner thread (the only thread that touches the model)."""
        ...

    def load(self, progress: Callable[[float, str], None] | None = None) -> None:
        """Load the model (call through `submit`). `progress(fraction, message)` reports progress."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens `text` would take (thread-safe; the tokenizer does not touch the KV cache)."""
        ...

    def generate(self, request: GenerationRequest) -> GenerationResult:
        """Generate on the owner thread (call through `submit`). Greedy when temperature is 0."""
        ...

    def prefill(
        self, prompt: Prompt, cancel: threading.Event | None = None, cache_key: str | None = None
    ) -> int:
        """Evaluate `prompt` into the KV cache without generating; returns tokens evaluated.

        Background work: it stops once `cancel` is set, keeping the chunks it has evaluated (the
        next prompt with the same prefix reuses them); a chunk cut short is lost, so chunks are
        small.
        """
        ...

    def hand_over_cache(self, from_key: str, to_key: str) -> None:
        """File the KV state of `from_key` (the live cache, or a saved state) under `to_key` from
        now on, dropping the state saved under `to_key`, which it replaces (call through
        `submit`)."""
        ...

    def holds_prefix(self, key: str, prompt: Prompt) -> bool:
        """Whether the KV state of `key` (the live cache, or a saved state) begins with all of
        `prompt` (call through `submit`, so that a prefill under way has finished its chunk)."""
        ...

    def close(self) -> None:
        """Free native resources and stop the owner thread. Safe to call twice."""
        ...


class OwnerThread:
    """A single worker thread that owns a native resource; every use of it goes through `submit`."""

    def __init__(self, name: str) -> None:
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=name
        )

    def submit(self, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        return self._executor.submit(fn)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


async def run_generation(backend: Backend, request: GenerationRequest) -> GenerationResult:
    """Generate on the backend's owner thread from asyncio; cancelling the awaiting task sets
    `request.cancel`, which the token loop sees before its next token."""
    future = backend.submit(lambda: backend.generate(request))
    try:
        return await asyncio.wrap_future(future)
    except asyncio.CancelledError:
        request.cancel.set()
        raise
