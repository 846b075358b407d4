"""Click's own words — ``--help``, ``--version``, usage errors — in Indonesian, like every message
of the CLI, whatever the machine's locale; and the shipped catalog covers every message the
installed click has."""

from __future__ import annotations

import gettext
import io
import os
from pathlib import Path

import click
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from click.testing import CliRunner, Result

from monitor.cli import cli, language

CATALOG = language.LOCALES / "id" / "LC_MESSAGES"
ENGLISH = {"LANG": "en_US.UTF-8", "LC_ALL": "en_US.UTF-8", "LANGUAGE": "en"}


def pantau(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=ENGLISH, prog_name="pantau")


def test_help_is_in_indonesian() -> None:
    result = pantau("--help")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "Penggunaan: pantau [OPSI] PERINTAH [ARG]..."
    assert "Opsi:" in lines and "Perintah:" in lines
    assert "  --version      Tampilkan versi lalu keluar." in lines
    assert "  -h, --help     Tampilkan pesan ini lalu keluar." in lines
    assert "Show" not in result.output and "Usage" not in result.output


def test_a_subcommand_help_is_in_indonesian_too() -> None:
    result = pantau("outbox", "list", "-h")
    assert result.exit_code == 0
    assert result.output.startswith("Penggunaan: pantau outbox list [OPSI]")
    assert "Tampilkan pesan ini lalu keluar." in result.output
    assert pantau("outbox", "--help").output.startswith("Penggunaan: pantau outbox [OPSI] PERINTAH [ARG]...")


def test_the_version_is_in_indonesian() -> None:
    result = pantau("--version")
    assert (result.exit_code, result.output) == (0, "pantau, versi 0.1.0\n")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["nope"], "Kesalahan: Tidak ada perintah 'nope'."),
        (["outbox", "list", "--bogus"], "Kesalahan: Tidak ada opsi '--bogus'."),
        (["match", "confirm"], "Kesalahan: Argumen belum diberikan 'OPD'."),
        (["check", "--as-of", "besok"], "Kesalahan: Nilai tidak sah untuk '--as-of': 'besok' tidak sesuai dengan"),
        (["findings", "--format", "xml"], "Kesalahan: Nilai tidak sah untuk '--format': 'xml' tidak dikenal; pilihan:"),
        (["check", "--as-of"], "Kesalahan: Opsi '--as-of' memerlukan 1 argumen."),
    ],
)
def test_usage_errors_are_in_indonesian(args: list[str], said: str) -> None:
    result = pantau(*args)
    assert result.exit_code == 2
    assert said in result.stderr
    assert "Error" not in result.stderr and "Usage" not in result.stderr and "Try" not in result.stderr


def test_a_usage_error_says_where_help_is() -> None:
    assert pantau("nope").stderr.splitlines()[:2] == [
        "Penggunaan: pantau [OPSI] PERINTAH [ARG]...", "Coba 'pantau --help' untuk bantuan."]


def test_the_process_gettext_state_is_left_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGUAGE", "en")
    domain = gettext.textdomain()
    CliRunner().invoke(cli, ["--version"])
    assert (os.environ["LANGUAGE"], gettext.textdomain()) == ("en", domain)
    assert gettext.gettext("Show this message and exit.") == "Show this message and exit."


def test_the_catalog_translates_every_message_of_the_installed_click() -> None:
    with (CATALOG / "click.po").open("rb") as fh:
        catalog = read_po(fh)
    keywords = {"_": None, "ngettext": (1, 2)}
    marked = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            Path(click.__file__).parent, method_map=[("**.py", "python")], keywords=keywords)
    }
    untranslated = sorted(m for m in marked if not (catalog.get(m) and all(catalog.get(m).string)))  # type: ignore[union-attr]
    assert not untranslated, f"translate in {CATALOG / 'click.po'}, then `make locales`: {untranslated}"


def test_the_compiled_catalog_is_the_po_file() -> None:
    with (CATALOG / "click.po").open("rb") as fh:
        expected = io.BytesIO()
        write_mo(expected, read_po(fh))
    compiled = gettext.GNUTranslations(io.BytesIO((CATALOG / "click.mo").read_bytes()))
    source = gettext.GNUTranslations(io.BytesIO(expected.getvalue()))
    # The header ("") carries dates babel fills in when it reads the file; the messages must be equal.
    assert {k: v for k, v in compiled._catalog.items() if k} == {  # type: ignore[attr-defined]
        k: v for k, v in source._catalog.items() if k  # type: ignore[attr-defined]
    }, "click.mo is stale: run `make locales`"
