"""Reading a CSV or XLSX file as a table: find the header row, then stream the data rows with
the line number the user sees (CSV: the physical line where the record starts, the first line
being 1; XLSX: the sheet's row number).

CSV: the delimiter (``;``, ``,``, tab or ``|``) is the one under which a header row is found; the
encoding is UTF-8 (with or without BOM), UTF-16 with BOM, otherwise Windows-1252, and only when
that cannot decode the bytes whatever charset-normalizer detects.
XLSX (and XLSM): the first sheet unless one is named; cells come typed (dates, numbers).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import IO, Any

from monitor.ingest.report import IngestError

# Title rows above the header (report name, period, printed-on) are skipped; the header must
# appear within this many rows.
HEADER_SCAN_ROWS = 50
DELIMITERS = (";", ",", "\t", "|")
_BLOCK = 1 << 20
# What openpyxl raises for a workbook broken inside (a cut-off copy): a sheet's XML that stops
# (ParseError, a SyntaxError), a damaged zip member, a missing part.
_BROKEN_XLSX = (KeyError, ValueError, OSError, SyntaxError, EOFError, zlib.error, zipfile.BadZipFile)
# Python's csv refuses a field over 131,072 characters, which made a long cell look like a missing header.
# The reader takes any field (a cell is never bigger than its file); the length limit of a cell is the
# parsers' (``[ingest] max_text_chars``), the same for CSV and XLSX, and rejects only the row.
_CSV_FIELD_LIMIT = 2**31 - 1
# A header cell longer than this is not a column name; it is cut so notes and messages stay readable.
_MAX_HEADER_CHARS = 200

Row = Sequence[object]
Scorer = Callable[[Row], int]


@dataclass
class Table:
    header: list[str]  # header cells as written, made unique and non-empty
    header_line: int
    rows: Iterator[tuple[int, Row]]  # (line, cells) of the non-blank rows after the header
    sha256: str
    notes: dict[str, Any] = field(default_factory=dict)
    # What was detected (encoding, delimiter, sheet, header position): given back to open_table,
    # it reopens the file without detecting again (a worker process reading the same file).
    layout: dict[str, Any] = field(default_factory=dict)


@contextmanager
def open_table(
    path: Path, *, score: Scorer, sheet: str | None = None, layout: dict[str, Any] | None = None
) -> Iterator[Table]:
    """Open ``path`` and locate its header: the row, among the first rows, that names the most
    known columns according to ``score``. Raises :class:`IngestError` for anything that is not
    a readable table. With the ``layout`` of an earlier opening, nothing is detected again (and
    the file's sha256 is not computed)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise IngestError(f"{path}: tidak dapat dibuka ({exc.strerror or exc})") from None
    if head.startswith(b"PK\x03\x04"):
        with _open_xlsx(path, score, sheet, layout) as table:
            yield table
        return
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise IngestError(f"{path}: format Excel lama (.xls) tidak didukung; simpan ulang sebagai .xlsx atau CSV")
    if head.startswith(b"%PDF"):
        raise IngestError(f"{path}: file PDF, bukan tabel; ekspor datanya sebagai .xlsx atau CSV")
    with _open_csv(path, score, layout) as table:
        yield table


def _unique_header(cells: Row) -> list[str]:
    header: list[str] = []
    seen: set[str] = set()
    for index, cell in enumerate(cells, start=1):
        label = " ".join(str(cell).split()) if cell is not None else ""
        label = label[:_MAX_HEADER_CHARS] or f"kolom {index}"
        base, n = label, 2
        while label in seen:
            label, n = f"{base} ({n})", n + 1
        seen.add(label)
        header.append(label)
    return header


def _find_header(rows: Sequence[tuple[int, Row]], score: Scorer) -> tuple[int, int]:
    """(index into ``rows`` of the best header candidate, its score); the first wins a tie."""
    best, best_score = -1, 0
    for index, (_, cells) in enumerate(rows):
        value = score(cells)
        if value > best_score:
            best, best_score = index, value
    return best, best_score


def _not_a_table(path: Path) -> IngestError:
    return IngestError(
        f"{path}: bukan tabel yang dikenali: tidak ada baris judul kolom dengan nama kolom yang dikenal "
        f"dalam {HEADER_SCAN_ROWS} baris pertama"
    )


def _is_blank_row(cells: Row) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


# --- CSV ---------------------------------------------------------------------------------------


def _scan(path: Path) -> tuple[str, bool, bytes]:
    """(sha256, whether the whole file is valid UTF-8, the first bytes) in one pass."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    utf8, first = True, b""
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            if not first:
                first = block[:65536]
            digest.update(block)
            if utf8:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return digest.hexdigest(), utf8, first


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        with path.open("rb") as fh:
            while block := fh.read(_BLOCK):
                decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: Path, first: bytes, utf8: bool) -> str:
    if first.startswith(codecs.BOM_UTF8):
        return "utf-8-sig" if utf8 else "cp1252"
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode Text" export
    if utf8:
        return "utf-8"
    # Excel on Indonesian Windows saves CSV in the ANSI code page, Windows-1252. Detectors guess
    # cp1250 or even cp775 for short Indonesian text (turning "Syara’" into "SyaraĆ"), so
    # Windows-1252 goes first when it can decode the bytes at all.
    if b"\x00" not in first and _decodes(path, "cp1252"):
        return "cp1252"
    from charset_normalizer import from_path

    guess = from_path(path).best()
    if guess is None:
        raise IngestError(f"{path}: bukan file teks (CSV) atau Excel (.xlsx); isinya tidak dapat dibaca")
    return str(guess.encoding)


def _csv_reader(fh: IO[str], delimiter: str) -> Any:
    csv.field_size_limit(_CSV_FIELD_LIMIT)  # process-wide, and the same value every time
    return csv.reader(fh, delimiter=delimiter)


def _csv_records(fh: IO[str], delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(physical line where the record starts, fields); a quoted field may span lines."""
    reader = _csv_reader(fh, delimiter)
    previous = 0
    for fields in reader:
        yield previous + 1, fields
        previous = reader.line_num


@contextmanager
def _open_csv(path: Path, score: Scorer, layout: dict[str, Any] | None) -> Iterator[Table]:
    if layout is None:
        sha256, layout = _detect_csv(path, score)
    else:
        sha256 = ""
    encoding, delimiter, header_index = layout["encoding"], layout["delimiter"], layout["header_index"]
    with path.open(encoding=encoding, newline="") as fh:
        reader = _csv_reader(fh, delimiter)
        for _ in range(header_index):
            next(reader)
        header_line = reader.line_num + 1
        header_cells = next(reader)
        yield Table(
            header=_unique_header(header_cells),
            header_line=header_line,
            rows=_csv_rows(path, reader),
            sha256=sha256,
            notes={"format": "csv", "encoding": encoding, "delimiter": delimiter, "header_line": header_line},
            layout=layout,
        )


def _detect_csv(path: Path, score: Scorer) -> tuple[str, dict[str, Any]]:
    """(sha256, layout): the encoding, then the delimiter under which a header row is found."""
    sha256, utf8, first = _scan(path)
    if not first.strip():
        raise IngestError(f"{path}: file kosong")
    encoding = detect_encoding(path, first, utf8)
    best: tuple[int, int, str, int] | None = None  # (score, width, delimiter, header record index)
    for delimiter in DELIMITERS:
        sample = _sample(path, encoding, delimiter)
        if not sample:
            continue
        if any("\x00" in "".join(fields) for _, fields in sample):
            raise IngestError(f"{path}: bukan file teks (CSV) atau Excel (.xlsx); isinya biner")
        index, value = _find_header(sample, score)
        if value and (best is None or (value, len(sample[index][1])) > best[:2]):
            best = (value, len(sample[index][1]), delimiter, index)
    if best is None:
        raise _not_a_table(path)
    _, _, delimiter, header_index = best
    return sha256, {"encoding": encoding, "delimiter": delimiter, "header_index": header_index}


def _sample(path: Path, encoding: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """The first records under ``delimiter``, up to the first one that does not read: a broken data row
    further down must not hide a header above it (that row fails later, with its line)."""
    sample: list[tuple[int, list[str]]] = []
    try:
        with path.open(encoding=encoding, newline="") as fh:
            for record in islice(_csv_records(fh, delimiter), HEADER_SCAN_ROWS):
                sample.append(record)
    except (csv.Error, UnicodeDecodeError):
        pass
    return sample


def _csv_rows(path: Path, reader: Any) -> Iterator[tuple[int, Row]]:
    """The data rows after the header, each with the physical line where it starts."""
    previous = reader.line_num
    try:
        for fields in reader:
            line, previous = previous + 1, reader.line_num
            joined = "".join(fields)
            if not joined.strip():  # blank and separator-only lines
                continue
            if "\x00" in joined:
                # A NUL byte in a text file means corruption (a cut-off copy, a binary dump).
                raise IngestError(f"{path}: baris {line}: berisi karakter NUL; file rusak atau bukan teks")
            yield line, fields
    except csv.Error as exc:
        raise IngestError(f"{path}: baris {previous + 1}: CSV rusak ({exc})") from None
    except UnicodeDecodeError as exc:
        raise IngestError(f"{path}: setelah baris {previous}: karakter tidak dapat dibaca ({exc.reason})") from None


# --- XLSX --------------------------------------------------------------------------------------


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def _open_xlsx(path: Path, score: Scorer, sheet: str | None, layout: dict[str, Any] | None) -> Iterator[Table]:
    from openpyxl import load_workbook

    sha256 = _sha256_file(path) if layout is None else ""
    fh = path.open("rb")  # a file object: openpyxl would otherwise insist on the .xlsx extension
    try:
        try:
            workbook = load_workbook(fh, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise IngestError(f"{path}: file Excel rusak atau bukan .xlsx ({exc})") from None
        try:
            worksheet = _pick_sheet(path, workbook, layout["sheet"] if layout else sheet)
            worksheet.reset_dimensions()  # some writers record a wrong used range; read every row
            numbered = enumerate(worksheet.iter_rows(values_only=True), start=1)
            if layout is None:
                head = list(_guard_xlsx(path, islice(numbered, HEADER_SCAN_ROWS), keep_blank=True))
                index, value = _find_header(head, score)
                if not value:
                    raise _not_a_table(path)
            else:
                head = list(_guard_xlsx(path, islice(numbered, layout["header_index"] + 1), keep_blank=True))
                index = layout["header_index"]
            header_line, header_cells = head[index]
            rest = chain(head[index + 1:], numbered)
            yield Table(
                header=_unique_header(header_cells),
                header_line=header_line,
                rows=_guard_xlsx(path, rest),
                sha256=sha256,
                notes={"format": "xlsx", "sheet": worksheet.title, "header_line": header_line},
                layout={"sheet": worksheet.title, "header_index": index},
            )
        finally:
            workbook.close()
    finally:
        fh.close()


def _pick_sheet(path: Path, workbook: Any, sheet: str | None) -> Any:
    if not workbook.worksheets:
        raise IngestError(f"{path}: tidak ada lembar kerja (sheet) berisi data")
    if sheet is None:
        return workbook.worksheets[0]
    for candidate in workbook.worksheets:
        if candidate.title == sheet:
            return candidate
    for candidate in workbook.worksheets:
        if candidate.title.casefold().strip() == sheet.casefold().strip():
            return candidate
    names = ", ".join(repr(ws.title) for ws in workbook.worksheets)
    raise IngestError(f"{path}: sheet {sheet!r} tidak ada; yang ada: {names}")


def _guard_xlsx(
    path: Path, rows: Iterator[tuple[int, tuple[object, ...]]], *, keep_blank: bool = False,
) -> Iterator[tuple[int, Row]]:
    line = 0
    try:
        for line, cells in rows:
            if keep_blank or (cells and not _is_blank_row(cells)):
                yield line, cells
    except _BROKEN_XLSX as exc:
        raise IngestError(f"{path}: setelah baris {line}: file Excel rusak ({exc})") from None
