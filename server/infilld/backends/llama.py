"""The in-process llama.cpp backend: one `Llama` context owned by one worker thread.

`llama_cpp` is imported only when the model loads (never at import time of infilld), the context is
created on the owner thread after `initialize` and freed at shutdown. Prompts are built from token
ids (special tokens looked up in the vocabulary), because llama-cpp-python's own `suffix=` FIM path
uses wrong token ids. The KV cache keeps the longest common token prefix of consecutive prompts;
prompt evaluation runs in small chunks so a cancelled or superseded request stops within one chunk,
and generation checks cancellation and the deadline after every token. Before a prompt for another
file overwrites the cache, the cache is copied out (llama.cpp's seq-level state API) into a small
LRU of per-file states, and copied back in when that file's prompts return (see kvstate.py).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from infilld.backends.base import (
    CancelEvent,
    GenerationRequest,
    GenerationResult,
    OwnerThread,
    Prompt,
    Special,
    StopReason,
)
from infilld.backends.healing import TokenHealer, is_indentation
from infilld.backends.kvstate import KVStateStore, plan_reuse
from infilld.config import ModelSettings
from infilld.errors import BackendError, BackendNotReadyError, ModelLoadError

T = TypeVar("T")
log = logging.getLogger(__name__)

# Prompt evaluation chunk. Cancellation aborts inside a chunk (the native abort flag), so chunks
# can be large enough for efficient matrix kernels: measured here, 64 tokens -> 255 tokens/s,
# 256 -> 298, 512 -> 308 (0.5B, 2 threads).
EVAL_CHUNK = 256
# Background prefills (a newly opened file, a pause, a cursor at rest, a block that follows the
# cursor) are usually cut short by the next request, and the chunk under way is lost: 256-token
# chunks (0.86 s each) kept nothing of a prefill given 0.6 s between a cursor report and the first
# request. 64-token chunks lose at most 0.25 s of work for 15% less throughput.
PREFILL_CHUNK = 64
# Saved per-file KV states: a few files, and a byte cap (about 12 KB per token for the 0.5B model).
KV_STATE_BYTES = 192 * 1024 * 1024
# Special tokens that always end generation (Qwen2.5-Coder; see field notes).
ALWAYS_STOP = (
    "<|endoftext|>",
    "<|im_end|>",
    "<|fim_prefix|>",
    "<|fim_suffix|>",
    "<|fim_middle|>",
    "<|fim_pad|>",
    "<|repo_name|>",
    "<|file_sep|>",
)


def physical_cores() -> int:
    """Physical cores (llama.cpp gets slower, not faster, on hyper-threads)."""
    try:
        cores: set[tuple[str, str]] = set()
        phys = core = ""
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                key, value = key.strip(), value.strip()
                if key == "physical id":
                    phys = value
                elif key == "core id":
                    core = value
                    cores.add((phys, core))
        if cores:
            return len(cores)
    except OSError:
        pass
    return max(1, (os.cpu_count() or 2) // 2)


class LlamaBackend:
    """Qwen2.5-Coder (or any GGUF) through llama-cpp-python, on one owner thread."""

    def __init__(self, model_path: Path, settings: ModelSettings) -> None:
        self.name = model_path.name
        self._path = model_path
        self._settings = settings
        self._owner = OwnerThread("infilld-llama")
        self._llm: Any = None
        self._special: dict[str, int] = {}
        self._stop_ids: frozenset[int] = frozenset()
        self.gpu_offload = False
        self._token_healer: TokenHealer | None = None
        self._abort_flag: Any = None  # b"x" while the batch being evaluated is cancelled
        self._abort_cb: Any = None  # keeps the callback object alive while the context lives
        self._key: str | None = None  # the file whose prompt the live KV cache holds
        self.states: KVStateStore[Any] = KVStateStore(max_bytes=KV_STATE_BYTES)
        self._can_shift = False  # the KV cache supports moving cells (RoPE models do)
        self.reused_tokens = 0  # prompt tokens moved into place instead of evaluated

    # -- owner-thread operations (call through submit) --------------------------------------
    def submit(self, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        return self._owner.submit(fn)

    def load(self, progress: Callable[[float, str], None] | None = None) -> None:
        report = progress or (lambda _f, _m: None)
        report(0.05, "loading llama.cpp")
        try:
            import llama_cpp
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelLoadError(
                f"llama-cpp-python is not installed or failed to import ({exc}); run .ci/setup"
            ) from exc
        self.gpu_offload = bool(llama_cpp.llama_supports_gpu_offload())
        s = self._settings
        gpu_layers = s.gpu_layers
        if gpu_layers < 0:
            # Full offload by default when this llama.cpp build has a GPU backend.
            gpu_layers = -1 if self.gpu_offload else 0
        threads = s.threads or physical_cores()
        report(0.2, f"loading {self._path.name}")
        try:
            self._llm = llama_cpp.Llama(
                model_path=str(self._path),
                n_ctx=s.context_length,
                n_batch=512,
                n_ubatch=512,
                n_threads=threads,
                n_threads_batch=threads,
                n_gpu_layers=gpu_layers,
                flash_attn=s.flash_attention,
                logits_all=False,
                verbose=False,
            )
        except Exception as exc:  # llama-cpp-python raises ValueError/RuntimeError/OSError
            raise ModelLoadError(f"llama.cpp could not load {self._path}: {exc}") from exc
        # llama.cpp polls an abort callback between graph nodes while it evaluates a batch, so a
        # cancelled request stops mid-chunk (llama.cpp drops the aborted chunk from the KV cache and
        # llama-cpp-python leaves n_tokens unchanged: the cache stays consistent). A Python callback
        # would take the GIL hundreds of times per token and, with other threads busy, made
        # generation 10x slower; so the callback is libc's strlen on a 2-byte flag: it returns 0
        # (go on) for b"\0" and 1 (abort) for b"x", read as the callback's bool, without Python.
        libc = ctypes.CDLL(None)
        self._abort_flag = ctypes.create_string_buffer(2)
        strlen = ctypes.cast(libc.strlen, ctypes.c_void_p).value
        assert strlen is not None
        self._abort_cb = llama_cpp.ggml_abort_callback(strlen)
        llama_cpp.llama_set_abort_callback(
            self._llm._ctx.ctx, self._abort_cb, ctypes.cast(self._abort_flag, ctypes.c_void_p)
        )
        self._can_shift = bool(
            llama_cpp.llama_memory_can_shift(llama_cpp.llama_get_memory(self._llm._ctx.ctx))
        )
        report(0.8, "reading the vocabulary")
        for name in (*ALWAYS_STOP, "<|im_start|>"):
            ids = self._llm.tokenize(name.encode(), add_bos=False, special=True)
            if len(ids) == 1:
                self._special[name] = ids[0]
        stops = {self._special[n] for n in ALWAYS_STOP if n in self._special}
        stops.add(int(self._llm.token_eos()))
        self._stop_ids = frozenset(stops)
        report(0.9, "indexing the vocabulary")
        self._healer()
        log.info(
            "model %s loaded: n_ctx=%d threads=%d gpu_layers=%d flash_attn=%s",
            self._path.name,
            s.context_length,
            threads,
            gpu_layers,
            s.flash_attention,
        )
        report(1.0, "model ready")

    def _raise_abort(self) -> None:
        if self._abort_flag is not None:
            self._abort_flag[0] = b"x"

    def _eval(self, tokens: list[int], cancel: Any) -> bool:
        """Evaluate tokens into the KV cache; False if `cancel` aborted it part-way."""
        hooked = isinstance(cancel, CancelEvent)
        if hooked:
            cancel.add_hook(self._raise_abort)
        if cancel is not None and cancel.is_set():
            self._raise_abort()
        try:
            self._require().eval(tokens)
            return True
        except RuntimeError:
            if cancel is not None and cancel.is_set():
                return False
            raise
        finally:
            if hooked:
                cancel.remove_hook(self._raise_abort)
            if self._abort_flag is not None:
                self._abort_flag[0] = b"\0"

    def has_special(self, name: str) -> bool:
        return name in self._special

    def count_tokens(self, text: str) -> int:
        llm = self._llm
        if llm is None:
            return max(1, len(text) // 3)
        return len(llm.tokenize(text.encode("utf-8", "replace"), add_bos=False, special=False))

    def encode(self, prompt: Prompt) -> list[int]:
        llm = self._require()
        ids: list[int] = []
        for piece in prompt:
            if isinstance(piece, Special):
                if piece.name not in self._special:
                    raise BackendError(
                        f"the model {self.name} has no special token {piece.name}; "
                        "use a Qwen2.5-Coder GGUF for fill-in-the-middle"
                    )
                ids.append(self._special[piece.name])
            elif piece:
                ids.extend(
                    llm.tokenize(piece.encode("utf-8", "replace"), add_bos=False, special=False)
                )
        return ids

    def prefill(
        self, prompt: Prompt, cancel: threading.Event | None = None, cache_key: str | None = None
    ) -> int:
        return self._prefill(self.encode(prompt), cancel, None, cache_key, PREFILL_CHUNK)

    def hand_over_cache(self, from_key: str, to_key: str) -> None:
        self._key = self.states.hand_over(self._key, from_key, to_key)

    def holds_prefix(self, key: str, prompt: Prompt) -> bool:
        return self.states.holds_prefix(self._key, self._live_tokens(), key, self.encode(prompt))

    def _save_state(self) -> tuple[Any, int]:
        """Copy the live KV cache (sequence 0) out of llama.cpp."""
        import ctypes

        import llama_cpp

        ctx = self._require()._ctx.ctx
        size = int(llama_cpp.llama_state_seq_get_size(ctx, 0))
        buf = (ctypes.c_uint8 * size)()
        n = int(llama_cpp.llama_state_seq_get_data(ctx, buf, size, 0))
        return buf, n

    def _restore_state(self, tokens: tuple[object, ...], blob: Any, nbytes: int) -> bool:
        """Replace the live KV cache with a saved one; False (cache emptied) if llama.cpp refuses."""
        import llama_cpp

        llm = self._require()
        read = int(llama_cpp.llama_state_seq_set_data(llm._ctx.ctx, blob, nbytes, 0))
        if read == 0:
            log.warning("could not restore a saved KV state; evaluating the prompt instead")
            llm._ctx.kv_cache_seq_rm(-1, 0, -1)
            llm.n_tokens = 0
            return False
        n = len(tokens)
        llm.input_ids[:n] = tokens
        llm.n_tokens = n
        return True

    def _switch_state(self, ids: list[int], cache_key: str | None) -> None:
        """Save the live cache if `ids` would overwrite another file's, restore a better one."""
        found = self.states.switch(self._key, self._live_tokens(), cache_key, ids, self._save_state)
        if found is not None:
            key, state, common = found
            t0 = time.monotonic()
            if self._restore_state(state.tokens, state.blob, state.nbytes):
                log.debug(
                    "restored the KV state of %s (%d tokens shared) in %.0f ms",
                    key, common, (time.monotonic() - t0) * 1000,
                )  # fmt: skip
        self._key = cache_key

    def _reuse_cache(self, ids: list[int]) -> int:
        """Make the KV cache hold as long a prefix of `ids` as the cached tokens allow (the common
        prefix, then later cached runs moved down into place); returns its length."""
        llm = self._require()
        cached = self._live_tokens()
        plan = plan_reuse(cached, ids, self._settings.cache_reuse if self._can_shift else 0)
        kv = llm._ctx
        for src, dst, n in plan.moves:
            # Drop the cells between the last kept token and this run, then shift the run down.
            kv.kv_cache_seq_rm(-1, dst, src)
            kv.kv_cache_seq_shift(0, src, src + n, dst - src)
            llm.input_ids[dst : dst + n] = cached[src : src + n]
        self.reused_tokens += plan.reused - plan.common
        kv.kv_cache_seq_rm(-1, plan.reused, -1)
        llm.n_tokens = plan.reused
        return plan.reused

    def _prefill(
        self,
        ids: list[int],
        cancel: Any,
        deadline: float | None,
        cache_key: str | None = None,
        chunk: int = EVAL_CHUNK,
    ) -> int:
        """Bring the KV cache to exactly `ids`, reusing what it holds; returns tokens evaluated.

        Stops early (keeping what was evaluated, which the next prompt can reuse) when `cancel` is
        set or the deadline passes; the caller checks those afterwards.
        """
        llm = self._require()
        n_ctx = llm.n_ctx()
        if len(ids) >= n_ctx:
            raise BackendError(f"prompt of {len(ids)} tokens does not fit the context of {n_ctx}")
        self._switch_state(ids, cache_key)
        common = self._reuse_cache(ids)
        todo = ids[common:]
        for i in range(0, len(todo), chunk):
            if (cancel is not None and cancel.is_set()) or (
                deadline is not None and time.monotonic() >= deadline
            ):
                break
            if not self._eval(todo[i : i + chunk], cancel):
                break
        return int(llm.n_tokens) - common

    def _healer(self) -> TokenHealer:
        """The vocabulary indexed for token healing (built once)."""
        if self._token_healer is None:
            llm = self._require()
            specials = set(self._special.values())
            self._token_healer = TokenHealer(
                (tid, llm.detokenize([tid])) for tid in range(llm.n_vocab()) if tid not in specials
            )
        return self._token_healer

    def generate(self, request: GenerationRequest) -> GenerationResult:
        import numpy as np

        llm = self._require()
        start = time.monotonic()
        ids = self.encode(request.prompt)
        # Token healing (healing.py): drop the prompt's last token and make the first generated
        # tokens spell it again, so the model picks the natural tokenization.
        heal = b""
        last = request.prompt[-1] if request.prompt else None
        if request.heal and isinstance(last, str) and last and ids:
            heal = llm.detokenize([ids[-1]])
            ids = ids[:-1]
        respelled = 1 if heal else 0  # prompt tokens the generation spells again
        code_next = (
            is_indentation(heal) and self._healer().allowed(heal[-1:], code_next=True).size > 0
        )
        if code_next:  # indentation: keep all but its last blank, which starts the code
            if len(heal) > 1:
                ids += llm.tokenize(heal[:-1], add_bos=False, special=False)
                respelled = 0  # the prompt's last token is back in `ids`, one blank shorter
            heal = heal[-1:]
        room = llm.n_ctx() - request.max_tokens - 1
        if len(ids) > room:
            # The engine budgets prompts to fit; if one still does not, keep its end (the cursor).
            log.warning("prompt of %d tokens cut to %d to fit the context", len(ids), room)
            ids = ids[len(ids) - room :]
        # The wall-clock cap is for generation: prompt evaluation is only stopped by cancellation
        # (a newer request), because what it evaluates stays in the KV cache for the next one,
        # and a cap that fired during it would return nothing after the full wait.
        budget = None if request.deadline is None else max(0.0, request.deadline - start)
        evaluated = self._prefill(ids, request.cancel, None, request.cache_key)
        deadline = None if budget is None else time.monotonic() + budget
        prompt_ms = (time.monotonic() - start) * 1000
        out: list[int] = []
        text = ""

        def finish(reason: StopReason) -> GenerationResult:
            return GenerationResult(
                text=text,
                stop_reason=reason,
                prompt_tokens=len(ids) + respelled,
                evaluated_tokens=evaluated,
                generated_tokens=len(out),
                prompt_ms=prompt_ms,
                total_ms=(time.monotonic() - start) * 1000,
            )

        if request.cancel.is_set():
            return finish(StopReason.CANCELLED)
        if llm.n_tokens != len(ids):
            return finish(StopReason.DEADLINE)
        stop_ids = set(self._stop_ids)
        stop_ids.update(self._special[n] for n in request.stop_specials if n in self._special)
        n_vocab = llm.n_vocab()
        rng = np.random.default_rng(0)
        raw = b""
        reason = StopReason.MAX_TOKENS
        while True:
            ptr = llama_cpp_logits(llm)
            logits = np.ctypeslib.as_array(ptr, shape=(n_vocab,))
            remaining = heal[len(raw) :] if len(raw) < len(heal) else b""
            if remaining:
                allowed = self._healer().allowed(remaining, code_next=code_next)
                if allowed.size == 0:  # cannot happen with a sane vocabulary; do not heal
                    heal = raw
                    token = int(np.argmax(logits))
                else:
                    token = int(allowed[int(np.argmax(logits[allowed]))])
            elif code_next and len(raw) == len(heal):
                # The indentation is spelled by a lone blank: code starts now, not another blank.
                logits = logits.copy()
                logits[self._healer().blank_starts()] = -np.inf
                token = _sample(logits, request.temperature, rng)
            else:
                token = _sample(logits, request.temperature, rng)
            if token in stop_ids:
                reason = StopReason.STOP_TOKEN
                break
            out.append(token)
            raw += llm.detokenize([token])
            text = (
                raw[len(heal) :].decode("utf-8", errors="ignore") if len(raw) >= len(heal) else ""
            )
            if request.cancel.is_set():
                reason = StopReason.CANCELLED
                break
            if request.should_stop is not None and request.should_stop(text):
                reason = StopReason.CALLER
                break
            if len(out) >= request.max_tokens:
                break
            if deadline is not None and time.monotonic() >= deadline:
                reason = StopReason.DEADLINE
                break
            if not self._eval([token], request.cancel):
                reason = StopReason.CANCELLED
                break
        return finish(reason)

    def close(self) -> None:
        def free() -> None:
            if self._llm is not None:
                self._llm.close()
                self._llm = None

        with contextlib.suppress(RuntimeError, concurrent.futures.TimeoutError):
            self._owner.submit(free).result(timeout=30)  # RuntimeError: already shut down
        self._owner.shutdown()

    def _live_tokens(self) -> list[int]:
        """The tokens the live KV cache holds, in order."""
        return [int(t) for t in self._require()._input_ids]

    def _require(self) -> Any:
        if self._llm is None:
            raise BackendNotReadyError("the model is not loaded yet")
        return self._llm


def llama_cpp_logits(llm: Any) -> Any:
    """Pointer to the logits of the last evaluated token."""
    import llama_cpp

    return llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)


def _sample(logits: Any, temperature: float, rng: Any) -> int:
    """Greedy at temperature 0; otherwise top-40 sampling (seeded, so runs are repeatable)."""
    import numpy as np

    if temperature <= 0:
        return int(np.argmax(logits))
    top = np.argpartition(logits, -40)[-40:]
    z = logits[top].astype(np.float64) / temperature
    p = np.exp(z - z.max())
    return int(top[rng.choice(len(top), p=p / p.sum())])
