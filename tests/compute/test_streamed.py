"""What a generator yields, made by a forked worker (:func:`streamed_from_worker`): the same items and
return value as made here, its exceptions raised here as themselves, and no worker left behind."""

from __future__ import annotations

import os
import sys
from collections.abc import Generator
from pathlib import Path

import pytest

from monitor.compute.processes import fork_is_safe, streamed_from_worker

pytestmark = pytest.mark.skipif(not fork_is_safe(), reason="this process cannot fork for work")


class Refused(Exception):
    """An exception of the caller's own kind."""


def counted(n: int, pids: Path | None = None) -> Generator[list[int], None, dict[str, int]]:
    if pids is not None:
        pids.write_text(str(os.getpid()))
    for start in range(0, n, 10):
        yield list(range(start, min(start + 10, n)))
    return {"made": n}


def test_the_worker_yields_what_the_generator_yields_and_returns_its_value(tmp_path: Path) -> None:
    pids = tmp_path / "pid"

    def consume() -> Generator[list[int], None, dict[str, int]]:
        return (yield from streamed_from_worker(lambda: counted(25, pids), "count"))

    items, run = [], consume()
    while True:
        try:
            items.append(next(run))
        except StopIteration as stop:
            result = stop.value
            break
    assert items == list(counted(25)) and result == {"made": 25}
    assert int(pids.read_text()) != os.getpid()


def test_an_exception_in_the_worker_is_raised_here_as_itself_with_its_traceback() -> None:
    def failing() -> Generator[int, None, None]:
        yield 1
        raise Refused("berkas rusak di baris 7")

    got = []
    with pytest.raises(Refused, match="baris 7") as raised:
        for item in streamed_from_worker(failing, "failing"):
            got.append(item)
    assert got == [1]
    assert any("in the worker process (failing)" in note and "failing" in note for note in raised.value.__notes__)


def test_a_worker_that_dies_without_a_word_is_an_error_here() -> None:
    def dying() -> Generator[int, None, None]:
        yield 1
        os._exit(3)

    with pytest.raises(RuntimeError, match=r"dying: the worker process died \(exit status 3\)"):
        list(streamed_from_worker(dying, "dying"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_caller_stopping_early_ends_the_worker_at_once(tmp_path: Path) -> None:
    pids = tmp_path / "pid"
    stream = streamed_from_worker(lambda: counted(10_000_000, pids), "endless")
    assert next(stream) == list(range(10))
    worker = int(pids.read_text())
    assert Path(f"/proc/{worker}").exists()
    stream.close()
    assert not Path(f"/proc/{worker}").exists()  # killed and reaped
