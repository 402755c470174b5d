"""`infilld serve --tcp`: one listening socket for the daemon's life, one client at a time.

pygls's own TCP server closes its listener when a client leaves, so an editor that reconnects in
the gap before the next listener exists is refused. Here the socket is bound once: a client that
connects while another is being served waits in the backlog and is served next, on a fresh server
(its own settings, model and index), so nothing from one session leaks into the next.
"""

from __future__ import annotations

import contextlib
import logging
import socket

from infilld.config import Settings
from infilld.lsp.server import create_server

log = logging.getLogger(__name__)
BACKLOG = 8


def serve_tcp(settings: Settings, host: str, port: int, *, once: bool = False) -> int:
    """Accept clients on `host:port` one after another; with `once`, return after the first."""
    with socket.create_server((host, port), backlog=BACKLOG) as listener:
        log.info("listening on %s:%d", host, port)
        while True:
            conn, peer = listener.accept()
            log.info("client %s connected", peer)
            with conn:
                serve_connection(settings, conn)
            log.info("client %s left", peer)
            if once:
                return 0


def serve_connection(settings: Settings, conn: socket.socket) -> None:
    """One LSP session over a connected socket, until `exit` or the client disconnects."""
    server = create_server(settings)

    def unblock_reader() -> None:
        # After `exit` pygls waits for its reader thread, which sits in a blocking recv until the
        # client closes its end; shutting the socket down ends that read at once.
        with contextlib.suppress(OSError):
            conn.shutdown(socket.SHUT_RDWR)

    server.before_shutdown.append(unblock_reader)
    reader, writer = conn.makefile("rb"), conn.makefile("wb")
    try:
        server.start_io(reader, writer)
    except OSError as exc:  # a reset connection ends this client, not the daemon
        log.warning("client connection failed: %s", exc)
    finally:
        server.release()
        for stream in (reader, writer):
            with contextlib.suppress(OSError):
                stream.close()
