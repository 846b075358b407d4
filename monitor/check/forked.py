"""The check run on two cores: a forked process runs some of the rules while this one runs the rest,
and the run's write goes on while the forked process is still producing findings (:class:`ForkedSpool`).

The forked process spools its findings (:class:`~monitor.check.spool.Spool`) into a temporary file
this process opened before the fork, and after each chunk says on a pipe how far the file is
written; at the end it sends the spool's counts, or the exception that stopped it. This process
writes its own rules' chunks first (they are ready when its rules are done), then reads the forked
process's as they are announced (positional reads: the file's offset is shared with the writer):
the order of one process running this process's rules, then the others. Data this process only
has after the fork (on a first run, the SP2Ds the payment rule reads) is handed over through a file
of its own (:meth:`ForkedSpool.hand_over`), read by the forked process a part at a time.

The forked process never touches the database (a connection must not be used across a fork); it is
started with :func:`monitor.compute.processes.forked`.
"""

from __future__ import annotations

import marshal
import os
import pickle
import signal
import struct
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from typing import IO

from monitor.check.spool import Detected, Spool, frame, read_chunks, read_frames
from monitor.compute.processes import DONE, FAILED, anonymous_file, forked, pickled_exception

_HEADER = struct.Struct("<cQ")  # message kind, payload length
_OFFSET = struct.Struct("<Q")
CHUNK_WRITTEN = b"c"


class ForkedSpool:
    """The findings of this process's own spool (``own``, filled by the caller after :meth:`start`),
    then those of ``work`` run in a forked process. ``count`` and ``duplicates`` cover both
    once :meth:`chunks` has been read to the end; :meth:`close` stops and reaps the forked process
    if it is still running."""

    def __init__(self) -> None:
        self._file = anonymous_file()
        self._pid: int | None = None
        self._answers: IO[bytes] | None = None
        self.own = Spool()
        self.count = 0
        self.duplicates = 0
        self.worker_seconds: float | None = None  # how long the forked process ran its rules
        self._seen: set[int] = set()
        # What this process hands over after the fork (hand_over(), received()): a file and a pipe.
        self._handed: IO[bytes] | None = None
        self._handed_fd: int | None = None
        self._handed_length: int | None = None

    def start(self, work: Callable[[Spool], None], *, hand_over: bool = False) -> None:
        """Fork; the forked process runs ``work`` on a spool whose every chunk is announced here.
        With ``hand_over``, this process then gives it data it could not have before the fork
        (:meth:`hand_over`), which ``work`` waits for with :meth:`received`."""
        read_end, write_end = os.pipe()
        handed_read = handed_write = None
        if hand_over:
            self._handed = anonymous_file()
            handed_read, handed_write = os.pipe()

        def child() -> int:
            os.close(read_end)
            if handed_write is not None:
                os.close(handed_write)
            self._handed_fd = handed_read
            return _run_forked(work, self._file, write_end)

        pid = forked(child)
        os.close(write_end)
        if handed_read is not None:
            os.close(handed_read)
        self._handed_fd = handed_write
        self._pid = pid
        self._answers = os.fdopen(read_end, "rb")

    def hand_over(self, parts: Iterable[bytes]) -> None:
        """Give the forked process ``parts`` (once): written to a file, each with its length, and
        the file's length then told on a pipe. The forked process reads them one at a time."""
        assert self._handed is not None and self._handed_fd is not None, "start(hand_over=True) first"
        for part in parts:
            self._handed.write(frame(part))
        self._handed.flush()
        fd, self._handed_fd = self._handed_fd, None
        try:
            os.write(fd, _OFFSET.pack(self._handed.tell()))
        except BrokenPipeError:  # the forked process is gone: chunks() says why
            pass
        finally:
            os.close(fd)

    def received(self) -> Iterator[bytes]:
        """In the forked process: the parts this process handed over, once it has (waits for them);
        read from the file one at a time, each time this is called."""
        assert self._handed is not None, "start(hand_over=True) first"
        if self._handed_length is None:
            assert self._handed_fd is not None
            header = os.read(self._handed_fd, _OFFSET.size)  # 8 bytes written at once: they arrive at once
            if len(header) < _OFFSET.size:
                raise RuntimeError("the check run's process handed nothing over")
            (self._handed_length,) = _OFFSET.unpack(header)
        yield from read_frames(self._handed.fileno(), 0, self._handed_length)

    def chunks(self) -> Iterator[list[Detected]]:
        assert self._answers is not None, "start() first"
        # This process's own findings first: they are all there, and are written while the forked
        # process is still at work; then the forked process's, as it announces them.
        own = self.own
        yield from own.chunks()
        fd, done = self._file.fileno(), 0
        while True:
            header = self._answers.read(_HEADER.size)
            if len(header) < _HEADER.size:
                status = self._reap()
                raise RuntimeError(f"the rules process ended with status {status} without saying why")
            kind, length = _HEADER.unpack(header)
            payload = self._answers.read(length)
            if kind == CHUNK_WRITTEN:
                (end,) = _OFFSET.unpack(payload)
                yield from read_chunks(fd, done, end)
                done = end
            elif kind == FAILED:
                self._reap()
                raise pickle.loads(payload)  # our own forked process wrote it
            else:
                self.count, self.duplicates, self._seen, self.worker_seconds = marshal.loads(payload)
                break
        status = self._reap()
        if status != 0:
            raise RuntimeError(f"the rules process ended with status {status}")
        if not self._seen.isdisjoint(own.fingerprints):
            raise ValueError("the two processes' rules found the same findings")
        self.count += own.count
        self.duplicates += own.duplicates
        self._seen |= own.fingerprints

    def __contains__(self, fingerprint: str) -> bool:
        return int(fingerprint, 16) in self._seen or fingerprint in self.own

    def _reap(self) -> int:
        pid, self._pid = self._pid, None
        if pid is None:
            return 0
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])

    def close(self) -> None:
        if self._pid is not None:  # this side failed or gave up: the other's work is moot
            with suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            self._reap()
        if self._answers is not None:
            self._answers.close()
        if self._handed_fd is not None:
            os.close(self._handed_fd)
            self._handed_fd = None
        if self._handed is not None:
            self._handed.close()
        self._file.close()
        self.own.close()

    def __enter__(self) -> ForkedSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _run_forked(work: Callable[[Spool], None], file: IO[bytes], write_end: int) -> int:
    """The forked process's side: ``work`` on a spool that announces its chunks; its exit status."""
    with os.fdopen(write_end, "wb") as out:

        def send(kind: bytes, payload: bytes) -> None:
            out.write(_HEADER.pack(kind, len(payload)) + payload)
            out.flush()

        started = time.perf_counter()
        spool = Spool(file, on_chunk=lambda end: send(CHUNK_WRITTEN, _OFFSET.pack(end)))
        try:
            work(spool)
            summary = marshal.dumps((spool.count, spool.duplicates, spool.fingerprints,
                                     round(time.perf_counter() - started, 3)))
        except BaseException as exc:  # handed to the parent, which raises it as its own
            send(FAILED, pickled_exception(exc))
            return 1
        send(DONE, summary)
        return 0
