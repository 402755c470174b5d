"""The server's log level: `--log-level` stays in force unless the client sets `logLevel`."""

from __future__ import annotations

import logging

from infilld.lsp.server import InfilldServer


def test_client_settings_without_log_level_keep_the_command_line_level() -> None:
    logger = logging.getLogger("infilld")
    before = logger.level
    try:
        logger.setLevel(logging.DEBUG)  # as `infilld --log-level debug serve` does
        server = InfilldServer()
        server.apply_settings({"completion": {"maxTokens": 32}})
        assert logger.level == logging.DEBUG
        server.apply_settings({"logLevel": "warning"})
        assert logger.level == logging.WARNING
    finally:
        logger.setLevel(before)
