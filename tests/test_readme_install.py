"""The README's "Installing for real" block, run as a new user runs it: in a fresh copy of the
project (what a commit of this working tree holds), line by line, the daemon last. The block is
read from the README, so the two cannot drift apart. It takes a minute or two (a virtualenv and
``pip install .``; pip's cache makes the downloads cheap after the first time)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INSTALL_SECONDS = 900


def install_block(readme: str) -> list[str]:
    """The command lines of the first ``sh`` block under the "Installing for real" heading."""
    section = readme.split("\n## Installing for real\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block, "README: no ```sh block under 'Installing for real'"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.lstrip().startswith("#")]


def fresh_copy(target: Path) -> Path:
    """The files a commit of this working tree would hold (tracked and new, minus the ignored)."""
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True, check=True,
    ).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is not copied
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode()


def test_the_block_parses_into_the_commands_a_user_types() -> None:
    lines = install_block((ROOT / "README.md").read_text(encoding="utf-8"))
    assert lines[0].startswith("python3.11 -m venv .venv && .venv/bin/pip install .")
    assert shlex.split(lines[-1], comments=True) == [".venv/bin/pantau", "run"]


@pytest.mark.timeout(INSTALL_SECONDS + 120)
@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs a git work tree")
def test_the_install_steps_give_a_working_installation_that_keeps_its_state_inside(tmp_path: Path) -> None:
    lines = install_block((ROOT / "README.md").read_text(encoding="utf-8"))
    *setup, daemon = lines
    clone = fresh_copy(tmp_path / "pantau")
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith(("PANTAU_", "VIRTUAL_ENV"))}
    env["PANTAU_HTTP_PORT"] = str(port)  # the one change: not the port another test's daemon may hold

    steps = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", "\n".join(setup)], cwd=clone, env=env,
        capture_output=True, text=True, timeout=INSTALL_SECONDS,
    )
    assert steps.returncode == 0, f"{steps.stderr[-4000:]}\n{steps.stdout[-4000:]}"

    # config check said, in Indonesian, where each thing is: inside the installation, no warning.
    report = steps.stdout
    assert f"Konfigurasi {clone / 'pantau.toml'} sah." in report
    assert f"Basis data:    SQLite, berkas {clone / 'var' / 'pantau.db'}\n" in report
    assert f"Outbox:        email ditulis sebagai berkas .eml ke {clone / 'var' / 'outbox'}\n" in report
    assert f"Inbox:         {clone / 'var' / 'inbox'} " in report
    assert "PERINGATAN" not in steps.stderr, steps.stderr
    assert (clone / "var" / "pantau.db").is_file()  # db upgrade made it there
    assert "Basis data pada revisi" in report
    # The installed package carries click's Indonesian catalog.
    helped = subprocess.run([clone / ".venv" / "bin" / "pantau", "--help"], env=env, capture_output=True, text=True)
    assert "Tampilkan pesan ini lalu keluar." in helped.stdout, helped.stdout + helped.stderr

    process = subprocess.Popen(shlex.split(daemon, comments=True), cwd=clone, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"the daemon ended: {process.stdout.read()}"  # type: ignore[union-attr]
            try:
                status, _ = get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline, "the daemon did not answer /healthz within 60 s"
                time.sleep(0.5)
        assert status == 200
        status, metrics = get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200 and "pantau_database_up 1.0" in metrics
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    assert code == 0, process.stdout.read()  # type: ignore[union-attr]
    # Everything it wrote is inside the installation; nothing landed beside it.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pantau"]
    assert (clone / "var" / "inbox").is_dir()
