"""The demo's keyboard: single keys on a terminal, lines otherwise.

On a TTY the terminal is put in cbreak mode (keys arrive as typed, no Enter needed; Ctrl-C
still interrupts) and its settings are restored on exit, however the demo ends. Off a TTY
(a pipe, a file) each line is one command, so `printf 'c\\nq\\n' | storepulse demo` works.
Reading goes through the event loop (add_reader), so nothing blocks in a thread at exit.
"""

import asyncio
import os
import termios
import tty
from types import TracebackType
from typing import Any, Self

ENTER = ""  # what Enter reads as, in both modes


class KeyInput:
    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.single_keys = os.isatty(fd)
        self._saved: list[Any] | None = None  # termios attributes
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._partial = ""

    async def __aenter__(self) -> Self:
        if self.single_keys:
            self._saved = termios.tcgetattr(self.fd)
            tty.setcbreak(self.fd, termios.TCSANOW)
        try:
            asyncio.get_running_loop().add_reader(self.fd, self._readable)
        except PermissionError:  # a regular file or /dev/null: epoll refuses it; reads never
            while self._consume(os.read(self.fd, 1024)):  # block, so take it all now
                pass
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        asyncio.get_running_loop().remove_reader(self.fd)
        if self._saved is not None:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)
            self._saved = None

    async def next_key(self) -> str | None:
        """The next key (a lower-case character, or ENTER); None once input has ended."""
        return await self._queue.get()

    def _readable(self) -> None:
        if not self._consume(os.read(self.fd, 1024)):
            asyncio.get_running_loop().remove_reader(self.fd)

    def _consume(self, raw: bytes) -> bool:
        """Queue the keys in `raw`; False (and None queued) at the end of input."""
        if not raw:
            self._queue.put_nowait(None)
            return False
        data = raw.decode(errors="replace")
        if self.single_keys:
            for char in data:
                self._queue.put_nowait(ENTER if char in "\r\n" else char.lower())
            return True
        *lines, self._partial = (self._partial + data).split("\n")
        for line in lines:
            self._queue.put_nowait(line.strip().lower())
        return True
