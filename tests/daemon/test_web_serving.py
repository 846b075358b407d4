"""``pantau run`` with ``[web] enabled``: the pages beside /metrics, /healthz and /readyz, in one process."""

from __future__ import annotations

import secrets
import signal
import urllib.error
import urllib.request
from pathlib import Path

from daemon_support import start_daemon, write_config

ONLY_INBOX = "".join(f"[scheduler.{job}]\nenabled = false\n" for job in ("check", "alerts", "outbox"))


def fetch(url: str) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read().decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def test_the_daemon_serves_the_pages_and_warns_without_a_base_url(tmp_path: Path) -> None:
    (tmp_path / "web.key").write_text(secrets.token_urlsafe(32), encoding="utf-8")
    config = write_config(tmp_path / "pantau.toml", "sqlite:///pantau.db",
                          extra=ONLY_INBOX + '[web]\nenabled = true\nsecret_key_file = "web.key"\n')
    daemon = start_daemon(config)
    try:
        web = daemon.wait_for_line(r"Halaman web: (http://\S+/)").group(1)
        status, headers, body = fetch(web + "masuk")
        assert status == 200 and "Kata sandi" in body and headers["x-frame-options"] == "DENY"
        assert fetch(web)[0] == 303  # the home page sends an anonymous visitor to the login
        assert fetch(daemon.base + "/healthz")[:1] == (200,)
        assert fetch(daemon.base + "/metrics")[0] == 200
        assert fetch(daemon.base + "/readyz")[0] == 503
        daemon.signal(signal.SIGTERM)
        assert daemon.wait(30) == 0
    finally:
        daemon.stop()
    assert "base_url is not set" in "".join(daemon.stderr)
