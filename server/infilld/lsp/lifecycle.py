"""initialize / initialized / shutdown, configuration changes and document close."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from infilld.lsp.convert import uri_to_path

if TYPE_CHECKING:
    from infilld.lsp.server import InfilldServer

log = logging.getLogger(__name__)


def register(server: InfilldServer) -> None:
    @server.feature(types.INITIALIZE)
    def on_initialize(ls: InfilldServer, params: types.InitializeParams) -> None:
        info = params.client_info
        log.info("client %s %s", info.name if info else "?", info.version if info else "")
        ls.apply_settings(params.initialization_options)

    @server.feature(types.INITIALIZED)
    def on_initialized(ls: InfilldServer, _params: types.InitializedParams) -> None:
        ls.start_loading()
        ls.start_heap_trimming()
        if ls.settings.context.enable:
            ls.start_indexing()

    @server.feature(types.SHUTDOWN)
    async def on_shutdown(ls: InfilldServer, _params: None) -> None:
        log.info("shutdown requested")
        await ls.close()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def on_configuration(ls: InfilldServer, params: types.DidChangeConfigurationParams) -> None:
        raw = params.settings
        if isinstance(raw, dict) and isinstance(raw.get("infilld"), dict):
            raw = raw["infilld"]
        if ls.apply_settings(raw):
            log.info("model settings changed; reloading")
            ls.start_loading()

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def on_close(ls: InfilldServer, params: types.DidCloseTextDocumentParams) -> None:
        path = uri_to_path(params.text_document.uri)
        if path is None:
            return
        if ls.engine is not None:
            ls.engine.forget(path)
        if ls.repo is not None:
            ls.repo.close_buffer(path)
