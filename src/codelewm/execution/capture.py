"""Drain a child's pipes without deadlocking: keep the first bytes, count and hash them all."""

from __future__ import annotations

import hashlib
import os
import selectors
import time
from collections.abc import Callable

_CHUNK = 64 * 1024


class StreamCapture:
    """The head of one output stream, its total size and the sha256 of everything written."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.head = bytearray()
        self.total = 0
        self._digest = hashlib.sha256()

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        self._digest.update(chunk)
        room = self.cap - len(self.head)
        if room > 0:
            self.head.extend(chunk[:room])

    @property
    def truncated(self) -> bool:
        return self.total > len(self.head)

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    def text(self) -> str:
        return self.head.decode("utf-8", errors="replace")


class PipeDrain:
    """Reads several pipes at once into their captures until EOF or a deadline."""

    def __init__(self, pipes: dict[int, StreamCapture]) -> None:
        self._selector = selectors.DefaultSelector()
        for fd, capture in pipes.items():
            os.set_blocking(fd, False)
            self._selector.register(fd, selectors.EVENT_READ, capture)

    @property
    def open(self) -> bool:
        return bool(self._selector.get_map())

    def drain(self, until: float, stop: Callable[[], bool] = lambda: False) -> None:
        """Read until every pipe is at EOF, `until` (monotonic) passes, or `stop()` is true."""
        while self.open and not stop():
            remaining = until - time.monotonic()
            if remaining <= 0:
                return
            for key, _ in self._selector.select(timeout=min(remaining, 0.05)):
                self._read(key)

    def _read(self, key: selectors.SelectorKey) -> None:
        try:
            chunk = os.read(key.fd, _CHUNK)
        except BlockingIOError:
            return
        if chunk:
            key.data.feed(chunk)
        else:
            self._selector.unregister(key.fd)
            os.close(key.fd)

    def close(self) -> None:
        for key in list(self._selector.get_map().values()):
            self._selector.unregister(key.fd)
            os.close(key.fd)
        self._selector.close()
