"""Reading the items of a source file one at a time, each with where the user finds it again.

- a JSON array of objects (SPSE through LKPP's ISB API), streamed with ijson: a file of any size fits
  in bounded memory. Where: ``$[12]`` (the index) and the item's number (13) as its "line";
- a table (CSV or XLSX, INAPROC's downloads of the same fields) read by :mod:`monitor.ingest.reader`
  (title rows above the header, the first sheet): each row as a dict keyed by its normalized header;
  where: its line;
- JSON Lines (one JSON document per line): a line that does not parse is given back as a
  :class:`BadItem` (the rest of the file still imports: a truncated last line loses only itself).

A malformed JSON document (not JSON Lines) raises :class:`~monitor.ingest.report.IngestError`: it cannot
be trusted after the error, and the import, one transaction, then changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

import ijson
import orjson

from monitor.ingest.kinds import normalize_header
from monitor.ingest.reader import open_table
from monitor.ingest.report import IngestError


class Item(NamedTuple):
    """An item read (named tuples: they cross from a parse worker pickled, cheaply)."""

    line: int  # the row's line in a table; the item's number (1 = first) in JSON
    path: str  # "$[12]", "$.releases[3]", "baris 14"
    value: Any  # a dict for objects


class BadItem(NamedTuple):
    line: int
    path: str
    reason: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def first_byte(path: Path) -> bytes:
    """The first non-blank byte (after a UTF-8 BOM): ``[`` or ``{`` for JSON, else a table."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise IngestError(f"{path}: tidak dapat dibuka ({exc.strerror or exc})") from None
    stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    return stripped[:1]


def _malformed(path: Path, exc: Exception, done: int) -> IngestError:
    return IngestError(
        f"{path}: JSON rusak setelah {done} data ({exc}); seluruh berkas ditolak dan tidak ada yang diubah"
    )


def json_array_items(path: Path, prefix: str = "item", shown: str = "$", *, use_float: bool = False) -> Iterator[Item]:
    """The objects of the JSON array at ``prefix`` (ijson's prefix: ``item`` for a top-level array,
    ``releases.item`` for an OCDS release package). Numbers come as ``Decimal`` (exact money), or as
    ``float`` with ``use_float`` (values to be stored as JSON again: a float's repr gives back the
    written decimal up to 15 digits, rupiah with sen up to 10^13)."""
    done = 0
    with path.open("rb") as fh:
        try:
            for done, value in enumerate(ijson.items(_skip_bom(fh), prefix, use_float=use_float), start=1):
                yield Item(done, f"{shown}[{done - 1}]", value)
        except (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError) as exc:
            raise _malformed(path, exc, done) from None


def _skip_bom(fh: IO[bytes]) -> IO[bytes]:
    if fh.read(3) != b"\xef\xbb\xbf":
        fh.seek(0)
    return fh


def json_kind(path: Path, keys: tuple[str, ...]) -> str | None:
    """Which of ``keys`` the top-level JSON object has first (``releases``, ``records``), by
    streaming its events; ``None`` for a top-level array or none of them."""
    with path.open("rb") as fh:
        try:
            for prefix, event, value in ijson.parse(_skip_bom(fh)):
                if prefix == "" and event == "start_array":
                    return None
                if prefix == "" and event == "map_key" and value in keys:
                    return str(value)
        except (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError) as exc:
            raise _malformed(path, exc, 0) from None
    return None


def json_lines(path: Path) -> Iterator[Item | BadItem]:
    """One JSON document per line (numbers as float, see :func:`json_array_items`); a line that does
    not parse (a truncated last line) is a BadItem."""
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            text = raw.strip()
            if not text:
                continue
            try:
                yield Item(number, f"baris {number}", orjson.loads(text))
            except (ValueError, UnicodeDecodeError) as exc:
                yield BadItem(number, f"baris {number}", f"baris JSON rusak atau terpotong ({exc})")


def table_items(path: Path, score: Callable[[list[str]], int]) -> Iterator[Item]:
    """The rows of a CSV or XLSX as dicts keyed by normalized header (``NPWP 16 Penyedia`` ->
    ``npwp_16_penyedia``); ``score`` says how many known fields a candidate header row names."""

    def scorer(cells: Any) -> int:
        return score([normalize_header(c) for c in cells if c is not None])

    with open_table(path, score=scorer) as table:
        keys = [normalize_header(label) for label in table.header]
        for line, cells in table.rows:
            yield Item(line, f"baris {line}", {
                key: cell for key, cell in zip(keys, cells, strict=False) if cell is not None
            })
