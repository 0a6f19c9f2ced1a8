"""The demo's keyboard through a real pty (a terminal) and a real pipe."""

import asyncio
import os
import termios
from collections.abc import Iterator

import pytest

from storepulse.demo.keys import ENTER, KeyInput
from storepulse.demo.runner import _interact


@pytest.fixture
def terminal() -> Iterator[tuple[int, int]]:
    """(controller, terminal) ends of a fresh pty in its default (line) mode."""
    controller, term = os.openpty()
    yield controller, term
    os.close(controller)
    os.close(term)


async def _keys(fd: int, count: int) -> list[str | None]:
    """The first `count` keys read from `fd`, 2 s each at most."""
    async with KeyInput(fd) as keys:
        return [await asyncio.wait_for(keys.next_key(), 2.0) for _ in range(count)]


def test_a_terminal_gets_single_keys_and_its_settings_back(terminal: tuple[int, int]) -> None:
    controller, term = terminal
    before = termios.tcgetattr(term)
    os.write(controller, b"cI\r")  # no Enter after c: a line-mode terminal would hold it

    keys = asyncio.run(_keys(term, 3))

    assert keys == ["c", "i", ENTER]
    assert termios.tcgetattr(term) == before  # canonical mode and echo are back


def test_a_pipe_gets_one_command_a_line_then_the_end() -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, b"c\n\nQ\n")
    os.close(write_end)
    try:
        keys = asyncio.run(_keys(read_end, 4))
    finally:
        os.close(read_end)
    assert keys == ["c", ENTER, "q", None]


def test_devnull_is_the_end_of_input() -> None:
    fd = os.open(os.devnull, os.O_RDONLY)
    try:
        assert asyncio.run(_keys(fd, 1)) == [None]
    finally:
        os.close(fd)


class Steps:
    """Stands in for the demo's Scenario: records which step each key ran."""

    def __init__(self) -> None:
        self.ran: list[str] = []

    async def tap(self) -> None:
        self.ran.append("tap")

    async def checkout(self) -> None:
        self.ran.append("checkout")

    async def id_card(self) -> None:
        self.ran.append("id_card")

    async def service(self) -> None:
        self.ran.append("service")


def test_the_demo_acts_on_a_key_without_enter(terminal: tuple[int, int]) -> None:
    controller, term = terminal
    steps = Steps()
    os.write(controller, b"c\ris")  # checkout, tap, ID card, a counter service
    os.write(controller, b"xq")  # an unknown key does nothing; q quits

    asyncio.run(asyncio.wait_for(_interact(steps, True, term), 5.0))

    assert steps.ran == ["checkout", "tap", "id_card", "service"]
