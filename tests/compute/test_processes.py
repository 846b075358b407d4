"""Children of a Pantau process die with it (issue 16, point 3): the forked check parts and the matcher's
helpers all fork through :func:`monitor.compute.processes.forked`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG and /proc")

PARENT = """
import os, sys, time
from monitor.compute.processes import forked
child = forked(lambda: time.sleep(120))  # a forked rules process, blocked on its work
print(child, flush=True)
time.sleep(120)
"""


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_a_forked_child_ends_within_seconds_of_its_parents_death(how: signal.Signals) -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert alive(child)
    parent.send_signal(how)
    parent.wait(10)
    deadline = time.monotonic() + 5
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    survived = alive(child)
    if survived:
        os.kill(child, signal.SIGKILL)
    assert not survived


FRESH_PARENT = """
import os, sys, time
from monitor.compute.processes import fresh_process
read_end, write_end = os.pipe()
# The daemon's check process, started fresh, waiting for its settings on stdin: the test holds that pipe
# open, so only the death of this parent can end it.
child = fresh_process("monitor.check.process", [str(write_end)], pass_fds=(write_end,), stdin=int(sys.argv[1]))
print(child.pid, flush=True)
time.sleep(120)
"""


def test_the_daemons_check_process_ends_within_seconds_of_its_parents_death() -> None:
    stdin_read, stdin_write = os.pipe()
    try:
        parent = subprocess.Popen([sys.executable, "-c", FRESH_PARENT, str(stdin_read)], stdout=subprocess.PIPE,
                                  pass_fds=(stdin_read,))
        os.close(stdin_read)
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        time.sleep(1.0)  # let it start and ask for the parent's death signal
        assert alive(child)
        parent.kill()
        parent.wait(10)
        deadline = time.monotonic() + 5
        while alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        survived = alive(child)
        if survived:
            os.kill(child, signal.SIGKILL)
        assert not survived
    finally:
        os.close(stdin_write)
