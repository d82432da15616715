"""A small TCP proxy that can hold back the upstream's answers, for fault journeys.

cart_service reaches payment_service through it in the process stack. A journey holds
the answer to the requests that carry a marker (a cart's reference, say) for as long as
it needs: it waits until the answer is there (the upstream has done the work), acts
(freezes a service, kills a worker), then lets the answer through, or never does, and
the caller's own timeout ends the wait. No step of it depends on how fast the host is:

    with proxy.hold(f"cart:{cart_id}") as held:
        ...                              # start the request that carries it
        held.wait_for_answer()           # payment_service has answered; cart has not read it
        ...                              # the fault
    # here the answer goes on (to whoever still listens)
"""

from __future__ import annotations

import contextlib
import socket
import threading

# However long a journey takes, a held answer goes on after this (threads must end).
HOLD_AT_MOST = 300.0


class Hold:
    """The answers to requests whose bytes contain ``marker``, held until released."""

    def __init__(self, marker: bytes) -> None:
        self.marker = marker
        self.answered = threading.Event()  # an answer to a matching request is held here
        self.released = threading.Event()

    def wait_for_answer(self, within: float = 60.0) -> None:
        """Until the upstream has answered a matching request (and the answer is held)."""
        if not self.answered.wait(within):
            raise AssertionError(
                f"no answer to a request carrying {self.marker.decode()!r} within {within}s"
            )

    def release(self) -> None:
        self.released.set()


class _Exchange:
    """One connection's request and answer, in turn (HTTP/1.1, no pipelining)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._request = bytearray()
        self._asked = False

    def ask(self, data: bytes) -> None:
        with self._lock:
            if not self._asked:
                self._request.clear()
                self._asked = True
            self._request += data

    def answer(self) -> bytes | None:
        """The request being answered, at an answer's first bytes; None at the next ones."""
        with self._lock:
            if not self._asked:
                return None
            self._asked = False
            return bytes(self._request)


class DelayingProxy:
    def __init__(self, upstream: tuple[str, int], host: str = "127.0.0.1", port: int = 0) -> None:
        self.upstream = upstream
        self._holds: list[Hold] = []
        self._holds_lock = threading.Lock()
        self._server = socket.create_server((host, port))
        self._server.settimeout(0.2)
        self.address = self._server.getsockname()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    @property
    def port(self) -> int:
        return self.address[1]

    @contextlib.contextmanager
    def hold(self, marker: str):
        """Hold back the answers to requests carrying ``marker`` until the block ends."""
        held = Hold(marker.encode())
        with self._holds_lock:
            self._holds.append(held)
        try:
            yield held
        finally:
            with self._holds_lock:
                self._holds.remove(held)
            held.release()

    def release_all(self) -> None:
        with self._holds_lock:
            for held in self._holds:
                held.release()

    def start(self) -> DelayingProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release_all()
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
        # Connections are kept alive and reused, so holds are read per answer, not per
        # connection: the first bytes upstream sends after each request may wait.
        exchange = _Exchange()
        threading.Thread(
            target=self._pipe, args=(client, upstream, exchange, False), daemon=True
        ).start()
        self._pipe(upstream, client, exchange, True)

    def _wait_if_held(self, request: bytes) -> None:
        with self._holds_lock:
            holding = [held for held in self._holds if held.marker in request]
        for held in holding:
            held.answered.set()
            held.released.wait(HOLD_AT_MOST)

    def _pipe(
        self, source: socket.socket, sink: socket.socket, exchange: _Exchange, answers: bool
    ) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if not answers:
                    exchange.ask(data)
                elif (request := exchange.answer()) is not None:
                    self._wait_if_held(request)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
