"""A local TCP proxy in front of the store that kills connections: the n-th connection is closed
after passing ``cuts[n]`` bytes of the response (None: passes it all). It records what it saw."""

import socket
import threading
from typing import List, Optional


class CuttingProxy:
    def __init__(self, target_port: int, cuts: List[Optional[int]], default_cut: Optional[int] = None):
        self._target = ("127.0.0.1", target_port)
        self._cuts = list(cuts)
        self._default_cut = default_cut
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.requests: List[bytes] = []  # the head of each request
        self.response_heads: List[bytes] = []
        self.cut_connections = 0
        self._threads: List[threading.Thread] = []
        self._sockets: List[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self):
        connection = 0
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            cut = self._cuts[connection] if connection < len(self._cuts) else self._default_cut
            connection += 1
            upstream = socket.create_connection(self._target)
            with self._lock:
                self._sockets += [client, upstream]
            for target, args in ((self._requests, (client, upstream)), (self._responses, (upstream, client, cut))):
                thread = threading.Thread(target=target, args=args, daemon=True)
                thread.start()
                self._threads.append(thread)

    def _requests(self, client: socket.socket, upstream: socket.socket):
        head = b""
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                if b"\r\n\r\n" not in head:
                    head += data
                    if b"\r\n\r\n" in head:
                        self.requests.append(head.split(b"\r\n\r\n")[0])
                upstream.sendall(data)
        except OSError:
            pass

    def _responses(self, upstream: socket.socket, client: socket.socket, cut: Optional[int]):
        passed = 0
        head = b""
        try:
            while True:
                data = upstream.recv(65536)
                if not data:
                    break
                if b"\r\n\r\n" not in head:
                    head += data
                    if b"\r\n\r\n" in head:
                        self.response_heads.append(head.split(b"\r\n\r\n")[0])
                if cut is not None and passed + len(data) >= cut:
                    client.sendall(data[:cut - passed])
                    self.cut_connections += 1
                    break
                client.sendall(data)
                passed += len(data)
        except OSError:
            pass
        finally:
            for sock in (client, upstream):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()

    def close(self):
        self._closed = True
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                try:
                    sock.close()
                except OSError:
                    pass
        for thread in self._threads:
            thread.join(timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
