"""A check run in a process of its own, for the daemon: its HTTP server runs in other threads, and a
process with other threads must not fork, while a big check forks to use the second core
(:mod:`monitor.check.forked`). The new process is started fresh (``python -m monitor.check.process``),
runs the check single-threaded, and gives its memory back to the system when it ends.

Protocol: the settings and the as-of date arrive pickled on the process's standard input; the
outcome — the :class:`~monitor.check.run.CheckRunResult`, or the exception the run raised — leaves
pickled on the file descriptor named on its command line, after a byte saying which (as a
:class:`monitor.compute.processes.Aside` answers). Its log goes where the daemon's goes
(standard error is inherited). Both ends are this program's own: nothing else is unpickled.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from datetime import date
from typing import Any

from monitor.compute.processes import DONE, FAILED, fresh_process, pickled_exception, started_fresh
from monitor.settings import Settings


def run_in_own_process(settings: Settings, as_of: date) -> Any:
    """``run_check`` as of ``as_of`` in a new process: its result, or the exception it raised there
    (:class:`~monitor.check.run.CheckFailed` when the run failed, recorded as failed)."""
    read_end, write_end = os.pipe()
    try:
        process = fresh_process("monitor.check.process", [str(write_end)], pass_fds=(write_end,),
                                stdin=subprocess.PIPE)
    finally:
        os.close(write_end)
    with os.fdopen(read_end, "rb") as answers:
        assert process.stdin is not None
        try:
            with process.stdin:
                process.stdin.write(pickle.dumps((settings, as_of)))
        except BrokenPipeError:  # it ended already: what it left (nothing) says so below
            pass
        data = answers.read()  # until the new process ends (and its end of the pipe closes)
    status = process.wait()
    if not data:
        raise RuntimeError(f"the check process ended with status {status} without a result")
    if data[:1] == FAILED:
        raise pickle.loads(data[1:])  # our own child wrote it
    return pickle.loads(data[1:])


def main(argv: list[str]) -> int:
    from monitor.bootstrap import bootstrap
    from monitor.check.run import run_check
    from monitor.logs import configure_logging

    started_fresh()
    with os.fdopen(int(argv[1]), "wb") as answers:
        settings, as_of = pickle.load(sys.stdin.buffer)
        configure_logging(settings.logging)
        app = bootstrap(settings, migrate=False)  # the daemon brought the schema up to date
        try:
            data = DONE + pickle.dumps(run_check(app, as_of=as_of))
        except Exception as exc:
            data = FAILED + pickled_exception(exc)
        finally:
            app.dispose()
        answers.write(data)
    return 0 if data[:1] == DONE else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
