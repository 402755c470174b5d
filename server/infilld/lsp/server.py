"""The infilld language server: lifecycle, settings, model loading with progress, status to the client.

The model is created after `initialized` on the backend's own thread (never at import), reported with
work-done progress, and closed at `shutdown`. Problems a user must act on (a missing model, invalid
settings) are shown once with `window/showMessage`; everything is also logged to stderr.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import FeatureRequestError, JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol

from infilld import __version__, memory
from infilld.backends.base import Backend
from infilld.backends.factory import create_backend
from infilld.config import Settings, load_settings
from infilld.engine.completer import CompletionEngine, ContextProvider
from infilld.engine.fix import DefinitionProvider
from infilld.engine.repo_context import RepoContext
from infilld.errors import InfilldError
from infilld.lsp.convert import uri_to_path

log = logging.getLogger(__name__)
STATUS_NOTIFICATION = "infilld/status"
HEAP_TRIM_S = 30.0  # how often freed C-heap memory is handed back (memory.release_free_heap)


class _Protocol(LanguageServerProtocol):
    """pygls's protocol, except that a request whose params do not parse is answered with the
    error (pygls only logs it, and the client waits forever for the response)."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if "id" in data and "method" in data and "result" not in data:
                self._send_response(data["id"], None, exc.to_response_error())
            raise

    def _check_handler_result(self, future: Any) -> None:
        # pygls files the future of a notification handled by a generator or thread handler
        # (didOpen, didChange and didClose are generator built-ins) in `_request_futures` under a
        # fresh uuid and never takes it out again: a Future, its Condition and the uuid per
        # keystroke, kept for the server's lifetime (~0.7 KB each; a traced replay showed it).
        try:
            super()._check_handler_result(future)
        finally:
            for msg_id in [k for k, f in self._request_futures.items() if f is future]:
                del self._request_futures[msg_id]


class InfilldServer(LanguageServer):
    """Owns the settings, the backend and the completion engine for one client session."""

    def __init__(self, base_settings: Settings | None = None) -> None:
        super().__init__("infilld", __version__, protocol_cls=_Protocol)
        self.base_settings = base_settings or Settings()
        self.settings = self.base_settings
        self.backend: Backend | None = None
        self.engine: CompletionEngine | None = None
        self.model_ready = asyncio.Event()
        self.load_error: str | None = None
        self.status_state = "loading"
        self._shown: set[str] = set()
        self._load_task: asyncio.Task[None] | None = None
        self._trim_task: asyncio.Task[None] | None = None
        self.repo: RepoContext | None = None
        self.definition_provider: DefinitionProvider | None = None
        # Called when the transport stops, before pygls waits for its reader thread.
        self.before_shutdown: list[Callable[[], None]] = []

    # -- messages to the user ------------------------------------------------------------------
    def show_once(self, message: str, kind: types.MessageType = types.MessageType.Error) -> None:
        """Log always; show the user each distinct message once per session."""
        log.log(
            logging.ERROR if kind == types.MessageType.Error else logging.WARNING, "%s", message
        )
        if message in self._shown:
            return
        self._shown.add(message)
        self.window_show_message(types.ShowMessageParams(type=kind, message=f"infilld: {message}"))

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Errors outside a request's response (a malformed message from the client, a failing
        notification handler): logged, and shown to the user once, not once per message."""
        log.error("%s: %s", getattr(source, "__name__", source), error)
        if source is FeatureRequestError:
            return  # already in the request's error response
        if source is JsonRpcException:
            self.show_once("the editor sent a message infilld could not read (see the log)")
        else:
            self.show_once(f"internal error: {error} (see the log)")

    def send_status(self, state: str, message: str = "", latency_ms: float | None = None) -> None:
        self.status_state = state
        params: dict[str, Any] = {
            "state": state,
            "message": message,
            "model": "fake" if self.settings.model.backend == "fake" else self.settings.model.name,
        }
        if latency_ms is not None:
            params["lastLatencyMs"] = round(latency_ms, 1)
        try:
            self.protocol.notify(STATUS_NOTIFICATION, params)
        except Exception:  # the client may be gone; status is best effort
            log.debug("could not send status", exc_info=True)

    @property
    def pending_requests(self) -> int:
        """Handlers pygls still tracks as running (`pendingRequests` in `infilld/stats`)."""
        return len(self.protocol._request_futures)

    def end_progress(self, token: str, message: str) -> None:
        """End a work-done progress and forget its token (pygls keeps every token it has seen)."""
        self.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
        self.work_done_progress.tokens.pop(token, None)

    # -- settings ------------------------------------------------------------------------------
    def apply_settings(self, raw: object) -> bool:
        """Merge client settings over the command-line base; returns True if the model changed."""
        settings, problems = load_settings(raw, self.base_settings)
        for problem in problems:
            self.show_once(f"invalid setting: {problem}", types.MessageType.Warning)
        changed = settings.model != self.settings.model
        if settings.log_level != self.settings.log_level:
            # Only a level the client sets changes logging: `--log-level` on the command line
            # stays in force otherwise (the default "info" must not silence a requested "debug").
            logging.getLogger("infilld").setLevel(settings.log_level.upper())
        self.settings = settings
        if self.engine is not None:
            self.engine.settings = settings
        if self.repo is not None:
            self.repo.settings = settings.context
            self.repo.prompt_lines = settings.completion.prompt_lines
        return changed

    # -- model lifecycle -----------------------------------------------------------------------
    def start_loading(self) -> None:
        if self._load_task is None or self._load_task.done():
            self._load_task = asyncio.get_running_loop().create_task(self._load_model())

    async def _load_model(self) -> None:
        await self.close_backend()
        self.model_ready.clear()
        self.load_error = None
        self.send_status("loading", f"loading {self.settings.model.name}")
        token: str | None = None
        caps = self.client_capabilities.window
        if caps is not None and caps.work_done_progress:
            token = f"infilld-load-{uuid.uuid4().hex[:8]}"
            try:
                await self.work_done_progress.create_async(token)
                self.work_done_progress.begin(
                    token,
                    types.WorkDoneProgressBegin(
                        title="infilld", message=f"loading {self.settings.model.name}", percentage=0
                    ),
                )
            except Exception:
                log.debug("client refused work-done progress", exc_info=True)
                token = None
        loop = asyncio.get_running_loop()

        def progress(fraction: float, message: str) -> None:
            if token is not None:
                value = types.WorkDoneProgressReport(
                    message=message, percentage=int(fraction * 100)
                )
                loop.call_soon_threadsafe(self.work_done_progress.report, token, value)

        try:
            backend = await asyncio.to_thread(create_backend, self.settings.model)
            self.backend = backend
            await asyncio.wrap_future(backend.submit(lambda: backend.load(progress)))
        except InfilldError as exc:
            self.load_error = str(exc)
        except Exception as exc:  # a crash in native code setup must not take the server down
            log.exception("model load failed")
            self.load_error = f"loading the model failed: {exc}"
        if token is not None:
            done = "model ready" if self.load_error is None else "model failed to load"
            self.end_progress(token, done)
        if self.load_error is not None:
            await self.close_backend()
            self.send_status("error", self.load_error)
            self.show_once(self.load_error)
            return
        assert self.backend is not None
        self.engine = CompletionEngine(
            self.backend, self.settings, self.context_provider(), follower=self.repo
        )
        self.model_ready.set()
        self.send_status("ready", f"{self.settings.model.name} ready")

    def start_heap_trimming(self) -> None:
        """Every HEAP_TRIM_S, hand memory the C heap freed back to the OS (see memory.py)."""
        if self._trim_task is None or self._trim_task.done():
            self._trim_task = asyncio.get_running_loop().create_task(self._trim_heap())

    async def _trim_heap(self) -> None:
        while True:
            await asyncio.sleep(HEAP_TRIM_S)
            # /proc is read only for the debug line, not on every trim.
            before = memory.proc_memory_mb()[0] if log.isEnabledFor(logging.DEBUG) else 0.0
            if await asyncio.to_thread(memory.release_free_heap) and before:
                log.debug("heap trimmed: RSS %.0f -> %.0f MB", before, memory.proc_memory_mb()[0])

    def start_indexing(self) -> None:
        """Index every workspace folder in the background (completions never wait for it)."""
        if self.repo is None:
            self.repo = RepoContext(
                self.settings.context, prompt_lines=self.settings.completion.prompt_lines
            )
            # "Fix this" prompts get the definitions of the names involved from other files.
            self.definition_provider = self.repo.definition_texts
        roots = [uri_to_path(f.uri) for f in self.workspace.folders.values()]
        if not roots and self.workspace.root_path:
            roots = [Path(self.workspace.root_path)]
        for root in roots:
            if root is not None:
                self.repo.add_folder(root)

    def context_provider(self) -> ContextProvider | None:
        """Repository context for completions (None: file-level prompts only)."""
        return self.repo.provide if self.repo is not None else None

    def shutdown(self) -> None:
        for hook in self.before_shutdown:
            hook()
        super().shutdown()

    def release(self) -> None:
        """Free the model and the index after the event loop has ended (a client went away without
        `shutdown`)."""
        backend, self.backend, self.engine = self.backend, None, None
        if backend is not None:
            backend.close()
        repo, self.repo, self.definition_provider = self.repo, None, None
        if repo is not None:
            repo.close()

    async def close(self) -> None:
        """Shutdown: free the model and stop watching the workspace."""
        if self._trim_task is not None:
            self._trim_task.cancel()
        await self.close_backend()
        repo, self.repo, self.definition_provider = self.repo, None, None
        if repo is not None:
            await asyncio.to_thread(repo.close)

    async def close_backend(self) -> None:
        backend, self.backend, self.engine = self.backend, None, None
        self.model_ready.clear()
        if backend is not None:
            await asyncio.to_thread(backend.close)


def create_server(base_settings: Settings | None = None) -> InfilldServer:
    """A server with every feature registered."""
    from infilld.lsp import actions, completion, documents, lifecycle

    server = InfilldServer(base_settings)
    lifecycle.register(server)
    completion.register(server)
    actions.register(server)
    documents.register(server)
    return server
