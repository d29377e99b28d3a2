"""A vendor that misbehaves on purpose, over real sockets on loopback: drips, floods, bombs.

Each connection reads one request head and hands the socket to the behaviour the test chose.
Every loop is bounded (by ``limit`` seconds and by the server being stopped), and a behaviour
records when the client went away, so a test can see that a connection was freed.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

Behaviour = Callable[["Connection"], None]


@dataclass
class Connection:
    sock: socket.socket
    head: bytes
    stopped: threading.Event
    limit: float

    def send(self, data: bytes) -> bool:
        """Send ``data``; False once the client has gone (or the server stops)."""
        if self.stopped.is_set():
            return False
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        return True

    def until(self, every: float = 0.0) -> Iterator[int]:
        """Yields 0, 1, 2, ... until ``limit`` seconds have passed or the server stops."""
        end = time.monotonic() + self.limit
        count = 0
        while time.monotonic() < end and not self.stopped.is_set():
            yield count
            count += 1
            if every:
                self.stopped.wait(every)


@dataclass
class HostileServer:
    behaviour: Behaviour
    limit: float = 15.0
    url: str = ""
    heads: list[bytes] = field(default_factory=list)
    client_gone: list[float] = field(default_factory=list)
    _stopped: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _listener: socket.socket | None = None
    _socks: list[socket.socket] = field(default_factory=list)

    def start(self) -> HostileServer:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        listener.settimeout(0.1)
        self._listener = listener
        self.url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        self._spawn(self._accept)
        return self

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stopped.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._socks.append(sock)
            self._spawn(self._serve, sock)

    def _serve(self, sock: socket.socket) -> None:
        with sock:
            sock.settimeout(5)
            head = b""
            with contextlib.suppress(OSError):
                while b"\r\n\r\n" not in head and len(head) < 65536:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return
                    head += chunk
            self.heads.append(head)
            connection = Connection(sock, head, self._stopped, self.limit)
            self.behaviour(connection)
            # Did the client close its side? (A read that returns b"" or fails says so.)
            sock.settimeout(2)
            with contextlib.suppress(OSError):
                while not self._stopped.is_set() and sock.recv(65536):
                    pass
            self.client_gone.append(time.monotonic())

    def stop(self) -> None:
        self._stopped.set()
        if self._listener is not None:
            self._listener.close()
        for sock in self._socks:  # wakes a thread waiting for its client
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=5)


def head(status: str = "200 OK", **headers: str | int) -> bytes:
    lines = [f"HTTP/1.1 {status}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()
