"""A small TCP proxy that can hold back the upstream's answers, for timeout tests.

cart_service reaches payment_service through it in the process stack; a test
sets ``delay`` to make payment_service look slower than cart_service's read
timeout, while the request itself still reaches payment_service.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time


class DelayingProxy:
    def __init__(self, upstream: tuple[str, int], host: str = "127.0.0.1", port: int = 0) -> None:
        self.upstream = upstream
        self.delay = 0.0
        self._server = socket.create_server((host, port))
        self._server.settimeout(0.2)
        self.address = self._server.getsockname()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    @property
    def port(self) -> int:
        return self.address[1]

    def start(self) -> DelayingProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=2)
        self._server.close()

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            client.close()  # upstream down: the caller sees the connection close, as with no proxy
            return
        # Connections are kept alive and reused, so the delay is read per answer, not per
        # connection: the first bytes upstream sends after each request wait ``delay``.
        asked = threading.Event()
        threading.Thread(
            target=self._pipe, args=(client, upstream, asked, False), daemon=True
        ).start()
        self._pipe(upstream, client, asked, True)

    def _pipe(
        self, source: socket.socket, sink: socket.socket, asked: threading.Event, answers: bool
    ) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if not answers:
                    asked.set()
                elif asked.is_set():
                    asked.clear()
                    if self.delay:
                        time.sleep(self.delay)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
