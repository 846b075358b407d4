"""Work in another process, the two ways Pantau does it.

- :func:`forked`: a function run in a forked child of this process (copy-on-write: it sees this
  process's memory as it was at the fork). Only where :func:`fork_is_safe`. The child never returns: it
  ends with ``os._exit`` (no atexit handlers, no finalizers of the parent's objects) and never touches
  the parent's database connections. :class:`Aside` builds on it: ``compute()`` aside, its bytes later.
- :func:`streamed_from_worker`: what a generator yields, made by a forked child while this process uses
  it (one file parsed there while this process writes to the database).
- :func:`fresh_process`: ``python -m MODULE`` started anew (nothing inherited but the file descriptors
  passed), for a process with other threads, where forking is unsafe.

Either way the child dies with its parent (``PR_SET_PDEATHSIG`` where the system has it), so no
worker is left behind when Pantau is killed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Generator, Sequence
from contextlib import suppress
from typing import IO, NoReturn, TypeVar

from monitor.compute.memory import gc_paused

DONE, FAILED = b"k", b"e"
T = TypeVar("T")
R = TypeVar("R")

# Below this many records forking for work costs more than it saves (the rules' fork, the matcher's hashing).
FORK_MIN_RECORDS = 50_000
_PR_SET_PDEATHSIG = 1
_PARENT = "PANTAU_PARENT_PID"


def fork_is_safe() -> bool:
    """Whether this process may fork for work: the system forks, and no other thread runs (the daemon
    serves HTTP from threads: a lock one of them holds at the fork would stay held in the child)."""
    return hasattr(os, "fork") and threading.active_count() == 1


def die_with_parent() -> None:
    """Ask the kernel to end this process when its parent dies (Linux); elsewhere nothing."""
    name = ctypes.util.find_library("c")
    if not sys.platform.startswith("linux") or name is None:
        return
    with suppress(OSError, AttributeError):
        ctypes.CDLL(name, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def forked(child: Callable[[], int | None]) -> int:
    """Fork; run ``child()`` in the new process, which then ends with the status it returns (0 for
    ``None``; 1 if it raised).
    Returns the child's pid to this process, which must reap it (``os.waitpid``)."""
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the forked process: never returns
        _child_main(child, parent)
    return pid


def _child_main(child: Callable[[], int | None], parent: int) -> NoReturn:
    status = 1
    try:
        die_with_parent()
        if os.getppid() != parent:  # the parent died before we asked
            os._exit(1)
        status = child() or 0
    finally:
        os._exit(status)  # no atexit handlers, no finalizers: the parent's connections are the parent's


def fresh_process(module: str, args: Sequence[str] = (), *, pass_fds: Sequence[int] = (),
                  stdin: int | None = None) -> subprocess.Popen[bytes]:
    """``python -m module args...`` started anew with this process's import path, whatever its working
    directory. The module's ``main`` calls :func:`started_fresh` first, so that it dies with this
    process (no ``preexec_fn``: this process may have threads)."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path),
                   _PARENT: str(os.getpid())}
    return subprocess.Popen([sys.executable, "-m", module, *args], stdin=stdin, pass_fds=tuple(pass_fds),
                            env=environment)


def started_fresh() -> None:
    """In a process :func:`fresh_process` started: die with the parent, and end now if it is gone."""
    die_with_parent()
    parent = os.environ.pop(_PARENT, None)
    if parent is not None and os.getppid() != int(parent):
        os._exit(1)


def anonymous_file() -> IO[bytes]:
    """An anonymous temporary file (gone when closed, or when the process dies)."""
    return tempfile.TemporaryFile(prefix="pantau-")


def pickled_exception(exc: BaseException) -> bytes:
    """``exc`` pickled for the process that started this one; its text, where it does not pickle."""
    try:
        return pickle.dumps(exc)
    except Exception:
        return pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))


class Aside:
    """``compute()`` run in a forked process while this one goes on; :meth:`result` waits for its bytes
    (or raises its exception). Where forking is not safe (:func:`fork_is_safe`) or not ``wanted``,
    :meth:`result` computes it here. :meth:`close` (or the with-block) stops a forked process whose
    result was never asked for."""

    def __init__(self, compute: Callable[[], bytes], wanted: bool = True) -> None:
        self._compute = compute
        self._pid: int | None = None
        self._file: IO[bytes] | None = None
        if wanted and fork_is_safe():
            file = self._file = anonymous_file()

            def child() -> None:
                try:
                    data = DONE + compute()
                except BaseException as exc:  # handed to the parent, which raises it as its own
                    data = FAILED + pickled_exception(exc)
                file.write(data)
                file.flush()

            self._pid = forked(child)

    def result(self) -> bytes:
        if self._file is None:
            return self._compute()
        pid, self._pid = self._pid, None
        status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) if pid is not None else 0
        self._file.seek(0)
        data = self._file.read()
        self.close()
        if data[:1] == DONE and status == 0:
            return data[1:]
        if data[:1] == FAILED:
            raise pickle.loads(data[1:])  # our own forked process wrote it
        raise RuntimeError(f"the process computing aside ended with status {status} without saying why")

    def close(self) -> None:
        if self._pid is not None:
            with suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            self._pid = None
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> Aside:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def streamed_from_worker(produce: Callable[[], Generator[T, None, R]], what: str) -> Generator[T, None, R]:
    """What ``produce()`` yields, made by a forked worker process while this one uses it; then what it
    returns (``result = yield from ...``). Only where :func:`fork_is_safe` (the caller decides).

    Each item crosses a pipe pickled (yield chunks, not rows); the worker is a pipe's buffer ahead at
    most. An exception in the worker is raised here as itself, its traceback in a note. The worker is
    ended at once when the caller stops early (close the generator) or fails, and dies with this
    process (:func:`forked`)."""
    read_end, write_end = os.pipe()

    def child() -> int:
        os.close(read_end)
        with gc_paused(), os.fdopen(write_end, "wb") as out:

            def send(tag: str, payload: object) -> None:
                pickle.dump((tag, payload), out, protocol=pickle.HIGHEST_PROTOCOL)
                out.flush()

            try:
                items = produce()
                while True:
                    try:
                        item = next(items)
                    except StopIteration as stop:
                        send("done", stop.value)
                        return 0
                    send("item", item)
            except BrokenPipeError:
                return 1  # the caller stopped listening (or died)
            except BaseException as exc:
                exc.add_note(f"in the worker process ({what}):\n{traceback.format_exc()}")
                send("failed", pickled_exception(exc))
                return 1

    pid: int | None = forked(child)
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as answers:
            while True:
                try:
                    tag, payload = pickle.load(answers)
                except EOFError:  # killed (out of memory?) without a word
                    status, pid = _reaped(pid), None
                    raise RuntimeError(f"{what}: the worker process died (exit status {status})") from None
                if tag == "item":
                    yield payload
                elif tag == "done":
                    return payload
                else:
                    raise pickle.loads(payload)  # our own forked process wrote it
    finally:
        if pid is not None:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            _reaped(pid)


def _reaped(pid: int | None) -> int | None:
    return None if pid is None else os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
