"""The reference peer: llama.cpp's llama-server `/infill`, fed the way llama.vscode feeds it.

llama.vscode sends 256 lines before the cursor's line as `input_prefix`, the current line's left part
as `prompt`, the rest of the line and 64 lines after as `input_suffix`, optionally a ring of chunks
from other files as `input_extra`, with `cache_prompt: true`; the server runs with `--cache-reuse
256`. Building the server is described in PEER.md. Only the standard library is used here.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import msgspec

PREFIX_LINES = 256  # llama.vscode's n_prefix
SUFFIX_LINES = 64  # llama.vscode's n_suffix


class PeerAnswer(msgspec.Struct, kw_only=True):
    text: str
    latency_ms: float
    prompt_tokens: int  # tokens the server evaluated for this prompt (timings.prompt_n)
    cached_tokens: int
    generated_tokens: int
    predicted_ms: float


def infill_body(
    text: str, offset: int, *, n_predict: int, extra: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """The /infill request llama.vscode would send for a cursor at `offset` of `text`."""
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end == -1 else line_end
    before_lines = text[:line_start].split("\n")[:-1]
    after_lines = text[line_end + 1 :].split("\n") if line_end < len(text) else []
    prefix = "".join(line + "\n" for line in before_lines[-PREFIX_LINES:])
    suffix = text[offset:line_end] + "\n" + "\n".join(after_lines[:SUFFIX_LINES])
    prompt = text[line_start:offset]
    indent = len(prompt) - len(prompt.lstrip(" \t"))
    return {
        "input_prefix": prefix,
        "input_suffix": suffix,
        "input_extra": extra or [],
        "prompt": prompt,
        "n_predict": n_predict,
        "n_indent": indent,
        "top_k": 40,
        "top_p": 0.99,
        "stream": False,
        "samplers": ["top_k", "top_p", "infill"],
        "cache_prompt": True,
        "t_max_prompt_ms": 500,
        "t_max_predict_ms": 1000,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LlamaServer:
    """A llama-server process with the model, listening on a free local port."""

    def __init__(
        self, binary: Path, model: Path, *, threads: int, ctx: int = 4096, log: Path | None = None
    ) -> None:
        self.port = _free_port()
        self.args = [
            str(binary), "-m", str(model), "--host", "127.0.0.1", "--port", str(self.port),
            "-t", str(threads), "-tb", str(threads), "-c", str(ctx), "-np", "1",
            "-b", "512", "-ub", "512", "-fa", "on", "--cache-reuse", "256", "--no-webui",
        ]  # fmt: skip
        self._log = open(log or "/dev/null", "wb")  # noqa: SIM115 - closed in stop()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 120.0) -> None:
        self.proc = subprocess.Popen(self.args, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama-server exited with {self.proc.returncode}: {self.args}")
            url = f"http://127.0.0.1:{self.port}/health"
            with (
                contextlib.suppress(OSError, urllib.error.URLError),
                urllib.request.urlopen(url, timeout=2) as r,
            ):
                if r.status == 200:
                    return
            time.sleep(0.25)
        raise TimeoutError("llama-server did not become healthy")

    def infill(self, body: dict[str, Any], timeout: float = 120.0) -> PeerAnswer:
        data = json.dumps(body).encode()
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/infill",
            data=data,
            headers={"Content-Type": "application/json"},
        )
        start = time.monotonic()
        with urllib.request.urlopen(req, timeout=timeout) as r:
            answer = json.loads(r.read())
        ms = (time.monotonic() - start) * 1000
        timings = answer.get("timings", {})
        return PeerAnswer(
            text=str(answer.get("content", "")),
            latency_ms=ms,
            prompt_tokens=int(timings.get("prompt_n", 0)),
            cached_tokens=int(answer.get("tokens_cached", 0)),
            generated_tokens=int(timings.get("predicted_n", 0)),
            predicted_ms=float(timings.get("predicted_ms", 0.0)),
        )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
