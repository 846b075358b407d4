"""Click's own words (``--help``, ``--version``, usage errors) in Bahasa Indonesia, like the rest of
the CLI.

Click marks its strings for :mod:`gettext` and looks them up in the process's default text domain,
in the languages the environment asks for. While a ``pantau`` command runs, :func:`indonesian`
points that domain at the catalog shipped in ``locales/`` (``click.po``, compiled to ``click.mo`` by
``make locales``) and asks for Indonesian: the CLI speaks it whatever the machine's locale, as its
own messages do.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCALES = Path(__file__).with_name("locales")
DOMAIN = "click"
LANGUAGE = "id"
# Click's placeholders in the usage line are not marked for translation; the root group and every
# command take these instead (monitor.cli sets them).
OPTIONS_METAVAR = "[OPSI]"
SUBCOMMAND_METAVAR = "PERINTAH [ARG]..."


@contextmanager
def indonesian() -> Iterator[None]:
    """Click's words in Indonesian inside the block; the process's gettext state is restored after."""
    previous_domain = gettext.textdomain()
    previous_language = os.environ.get("LANGUAGE")
    gettext.bindtextdomain(DOMAIN, str(LOCALES))
    gettext.textdomain(DOMAIN)
    # LANGUAGE is gettext's list of message languages; it wins over LANG and LC_*.
    os.environ["LANGUAGE"] = LANGUAGE
    try:
        yield
    finally:
        gettext.textdomain(previous_domain)
        if previous_language is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = previous_language
