"""The report's long lists (lampiran, the follow-up matrix, what was resolved): their columns, typed so each
renderer writes a value the right way (identifiers as text, amounts as numbers with a rupiah format,
dates as dates), and the rows streamed from the database: at a million contracts they are too many to hold.

The rows come as typed polars frames of :data:`CHUNK_ROWS` rows (:class:`Rows`), their values computed
once, by column: the HTML formats whole columns (:func:`monitor.report.html.table_body`), the XLSX builds
its rows' XML from the same frames (:meth:`monitor.spreadsheet.SafeWorkbook.frame_table`). So every format
shows the same values, and a million rows cost no per-cell Python. :func:`as_dicts` gives the rows as dicts,
for writing cell by cell (the tests compare the XLSX with XlsxWriter's own cells).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import orjson
import polars as pl
from sqlalchemy import Select, Text, cast, column, func, select, true
from sqlalchemy.engine import Connection

from monitor.check.findings import ACKNOWLEDGED, ACTIVE, CHECK_RUN, FINDING, FINDING_EVENT, OPEN, REOPENED, RESOLVED
from monitor.check.followup import BELUM, FOLLOWUP
from monitor.db import raw_partitions
from monitor.models import Contract
from monitor.settings import ReportSettings

Kind = Literal["text", "id", "money", "date", "int"]
# Findings that need action at the meeting: active and not muted by a silence.
NEEDS_ACTION = (OPEN, REOPENED, ACKNOWLEDGED)
UNKNOWN = "—"  # a PPK the data do not name: never guessed from the OPD


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: Kind = "text"
    width: int = 14  # characters, for the XLSX


@dataclass(frozen=True)
class ListSpec:
    """One lampiran: the findings of ``rules``, each row the finding's own columns and its details'."""

    key: str
    title: str
    rules: tuple[str, ...]
    columns: tuple[Column, ...]


_ID = Column("id", "ID temuan", "int", 9)
_OPD = Column("opd", "OPD", "text", 10)
_KONTRAK = (Column("nomor_kontrak", "Nomor kontrak", "id", 26), Column("nama_paket", "Nama paket", "text", 40),
            Column("penyedia", "Penyedia", "text", 26))
LISTS: tuple[ListSpec, ...] = (
    ListSpec("belum_terdaftar", "Kontrak belum terdaftar Jakon", ("jakon.unregistered",), (
        _ID, _OPD, *_KONTRAK, Column("npwp_penyedia", "NPWP", "id", 18),
        Column("nilai_kontrak", "Nilai kontrak", "money"),
        Column("tanggal_kontrak", "Tanggal kontrak", "date", 12), Column("deadline", "Batas daftar", "date", 12),
        Column("days_overdue", "Hari lewat", "int", 8), Column("required", "Iuran wajib", "money"))),
    ListSpec("terlambat", "Pendaftaran terlambat", ("jakon.late_registration",), (
        _ID, _OPD, *_KONTRAK, Column("nomor_registrasi", "No. registrasi", "id", 16),
        Column("deadline", "Batas daftar", "date", 12), Column("tanggal_daftar", "Tanggal daftar", "date", 12),
        Column("days_late", "Hari terlambat", "int", 8))),
    ListSpec("kurang_bayar", "Iuran kurang bayar", ("jakon.premium_shortfall",), (
        _ID, _OPD, *_KONTRAK, Column("nomor_registrasi", "No. registrasi", "id", 16),
        Column("required", "Iuran wajib", "money"), Column("paid", "Iuran dibayar", "money"),
        Column("shortfall", "Kekurangan", "money"))),
    ListSpec("sp2d", "SP2D untuk kontrak tanpa kepesertaan", ("jakon.payment_unregistered",), (
        _ID, _OPD, Column("nomor_sp2d", "Nomor SP2D", "id", 26), Column("tanggal_sp2d", "Tanggal SP2D", "date", 12),
        Column("nilai_sp2d", "Nilai SP2D", "money"), *_KONTRAK, Column("required", "Iuran wajib", "money"))),
    ListSpec("celah", "Celah perlindungan setelah adendum", ("jakon.coverage_gap",), (
        _ID, _OPD, *_KONTRAK, Column("nomor_registrasi", "No. registrasi", "id", 16),
        Column("masa_akhir", "Masa akhir", "date", 12), Column("tanggal_selesai", "Selesai kontrak", "date", 12),
        Column("gap_days", "Hari celah", "int", 8))),
    ListSpec("perjanjian", "Perjanjian (MoU/PKS) berakhir", ("agreement.expiring", "agreement.expired"), (
        _ID, Column("nomor", "Nomor", "id", 28), Column("jenis", "Jenis", "text", 6),
        Column("judul", "Judul", "text", 40),
        Column("pihak", "Para pihak", "text", 36), Column("tanggal_berakhir", "Berakhir", "date", 12))),
    ListSpec("kampung", "Kampung Bahagia", ("kampung.no_sk_rt", "kampung.unregistered"), (
        _ID, Column("rule_name", "Temuan", "text", 30), Column("kode_kegiatan", "Kode", "id", 14),
        Column("kelurahan", "Kelurahan", "text", 18), Column("rt", "RT", "id", 5),
        Column("nama_kegiatan", "Kegiatan", "text", 34), Column("nilai_kegiatan", "Nilai", "money"),
        Column("required", "Iuran wajib", "money"), Column("paid", "Iuran dibayar", "money"))),
    ListSpec("data", "Data: registrasi tanpa kontrak dan pasangan meragukan",
             ("data.orphan_registration", "data.ambiguous_match"), (
        _ID, Column("rule_name", "Temuan", "text", 30), Column("nomor_registrasi", "No. registrasi", "id", 16),
        Column("penyedia", "Penyedia", "text", 28), Column("nomor_kontrak_bpjs", "No. kontrak di BPJS", "id", 26),
        Column("nilai_terdaftar", "Nilai terdaftar", "money"))),
)

FOLLOWUP_COLUMNS: tuple[Column, ...] = (
    _ID, Column("rule_name", "Temuan", "text", 28), _OPD, Column("ppk", "PPK", "text", 14),
    Column("subject", "Subjek", "id", 30), Column("tindakan", "Yang harus dilakukan", "text", 50),
    Column("amount_at_risk", "Nilai berisiko", "money"), Column("due", "Batas waktu", "date", 12),
    Column("status_tl", "Status tindak lanjut", "text", 22), Column("pic", "PIC", "text", 18),
    Column("note", "Catatan", "text", 30), Column("age", "Umur (hari)", "int", 8),
)
RESOLVED_COLUMNS: tuple[Column, ...] = (
    _ID, Column("rule_name", "Temuan", "text", 28), _OPD, Column("subject", "Subjek", "id", 30),
    Column("resolved_on", "Selesai", "date", 12), Column("resolved_reason", "Sebabnya", "text", 50),
    Column("status_tl", "Status tindak lanjut", "text", 22),
)


def details_text() -> Any:
    """A finding's details as the stored JSON text: parsed by :func:`parse_details` (orjson) or, in the
    lists, by polars a column at a time; either is several times faster than the column's own
    ``json.loads`` over a million rows."""
    return cast(FINDING.c.details, Text).label("details")


def parse_details(text: str | None) -> dict[str, Any]:
    # The details are written by orjson (monitor.check.findings.details_json), so orjson reads them all.
    return orjson.loads(text) if text else {}


def resolutions() -> Any:
    """Per resolved finding, the as-of date of the check run that resolved it (its latest resolution in the
    history): when it was resolved in the data's time. ``last_seen`` is when it was last seen, which may be
    long before; ``resolved_at`` is the wall-clock time of that run, which may be long after."""
    e, r = FINDING_EVENT.c, CHECK_RUN.c
    latest = (select(e.finding_id, func.max(e.id).label("event_id")).where(e.to_status == RESOLVED)
              .group_by(e.finding_id).subquery())
    return (select(latest.c.finding_id, r.as_of.label("resolved_on"))
            .join(FINDING_EVENT, e.id == latest.c.event_id).join(CHECK_RUN, r.id == e.check_run_id)
            .subquery("resolution"))


# Rows per frame. Formatting a frame's HTML holds a few copies of its columns at once: 20k rows keep the
# report's peak memory near 400 MB, and more rows per frame make it no faster.
CHUNK_ROWS = 20_000
_OWN = ("id", "opd", "rule_name")  # a lampiran's columns from the finding itself; the others are its details'
_FOLLOWUP_SCHEMA = {"id": pl.Int64(), "rule": pl.String(), "opd": pl.String(), "subject": pl.String(),
                    "amount_at_risk": pl.Int64(), "first_seen": pl.Date(), "nomor_kontrak": pl.String(),
                    "tindakan": pl.String(), "status": pl.String(), "due": pl.Date(), "pic": pl.String(),
                    "note": pl.String()}
_RESOLVED_SCHEMA = {"id": pl.Int64(), "rule": pl.String(), "opd": pl.String(), "subject": pl.String(),
                    "resolved_on": pl.Date(), "resolved_reason": pl.String(), "status": pl.String()}
_PPK_SCHEMA = {"opd": pl.String(), "nomor_kontrak": pl.String(), "nama_ppk": pl.String(), "nip_ppk": pl.String()}


def frames(conn: Connection, query: Select[Any], schema: Mapping[str, pl.DataType]) -> Iterator[pl.DataFrame]:
    """The query's rows as frames of :data:`CHUNK_ROWS` rows, its columns named and typed by ``schema`` (in
    the select's order). Read through the driver's cursor (:func:`monitor.db.raw_partitions`; the lists'
    parameters are the program's constants) and built a column at a time: SQLAlchemy's rows and type
    processors took a third of the lists' time at a million findings."""
    for rows in raw_partitions(conn, query, constants_inline=True, rows=CHUNK_ROWS):
        yield pl.DataFrame([_series(name, dtype, values)
                            for (name, dtype), values in zip(schema.items(), zip(*rows, strict=True), strict=True)])


def frame(conn: Connection, query: Select[Any], schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """The query's rows as one frame (:func:`frames` joined), typed by ``schema`` even when there are none."""
    return pl.concat([pl.DataFrame(schema=schema), *frames(conn, query, schema)])


def _series(name: str, dtype: pl.DataType, values: tuple[Any, ...]) -> pl.Series:
    if dtype == pl.Date():  # SQLite gives a date as its ISO text, PostgreSQL as a date
        raw = pl.Series(name, values)
        return raw.str.to_date("%Y-%m-%d") if raw.dtype == pl.String() else raw.cast(pl.Date())
    return pl.Series(name, values, dtype=dtype)


def as_dicts(chunks: Iterable[pl.DataFrame]) -> Iterator[dict[str, Any]]:
    """The frames' rows as dicts (int, date, str or None), for the renderers that write cell by cell."""
    for frame in chunks:
        yield from frame.iter_rows(named=True)


def details_columns(conn: Connection, keys: Sequence[str]) -> tuple[list[Any], Any | None]:
    """Values of a finding's details as text columns named by their keys (a JSON string unquoted, a number as
    written, null as NULL), extracted by the database: it sorts and sends only what a list shows, not the
    whole details (decoding them in polars took about 7 kB of memory per row). Also what to join to the
    finding for them: on PostgreSQL one ``json_to_record`` per row, since its ``json`` type parses the text
    again for every ``->>`` (a list of seven values read 2.4 times slower); SQLite's ``json_extract``, one
    per value, is cheap."""
    if conn.dialect.name == "postgresql" and keys:
        record = (func.json_to_record(FINDING.c.details).table_valued(*(column(key, Text) for key in keys))
                  .render_derived("details_record", with_types=True))
        return [record.c[key].label(key) for key in keys], record
    return [cast(FINDING.c.details[key].as_string(), Text).label(key) for key in keys], None


def _with_details(source: Any, record: Any | None) -> Any:
    return source if record is None else source.join(record, true())  # a function in FROM sees the row


def _as_kind(key: str, kind: Kind) -> pl.Expr:
    """A details value (its JSON text) as its column's kind: money and counts whole (a fraction cut off, as
    ``int()`` does), dates from their ISO text; what is not one is null."""
    text = pl.col(key)
    if kind in ("money", "int"):
        whole = text.cast(pl.Int64, strict=False)
        return pl.coalesce(whole, text.cast(pl.Float64, strict=False).cast(pl.Int64, strict=False)).alias(key)
    if kind == "date":
        return text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False).alias(key)
    return text


def _or(value: pl.Expr, default: pl.Expr | str) -> pl.Expr:
    """``value or default``: the default for null and for empty text."""
    return pl.when(value.is_null() | (value == "")).then(default).otherwise(value)


def _by_rule(frame: pl.DataFrame, value: Callable[[str], Any], dtype: pl.DataType) -> pl.Expr:
    """Per row, ``value(rule)``: computed once per rule in the frame."""
    return pl.col("rule").replace_strict({rule: value(rule) for rule in frame["rule"].unique()},
                                         return_dtype=dtype)


Frames = Generator[pl.DataFrame, None, None]


class _Ahead:
    """Reads streams of frames one after another in a worker thread, a few frames ahead of who formats them:
    the database's reading (sqlite3 and psycopg release the GIL while they step) overlaps the formatting
    (polars releases it too), so the two cores both work. The worker alone uses the connection until
    :meth:`close`; the streams must be consumed in their order."""

    DEPTH = 6  # frames read ahead: a few of CHUNK_ROWS rows, a few megabytes

    def __init__(self, streams: Sequence[Frames]) -> None:
        self._queue: queue.Queue[tuple[int, pl.DataFrame | BaseException | None]] = queue.Queue(self.DEPTH)
        self._stop = threading.Event()
        self._next = 0  # the stream being consumed
        self._thread = threading.Thread(target=self._work, args=(streams,), name="monev-lists", daemon=True)
        self._thread.start()

    def _work(self, streams: Sequence[Frames]) -> None:
        try:
            for index, stream in enumerate(streams):
                for frame in stream:
                    if not self._put(index, frame):
                        return
                if not self._put(index, None):
                    return
        except BaseException as error:  # handed to the reader, who raises it
            self._put(-1, error)
        finally:
            for stream in streams:
                stream.close()  # and its cursor, when the reader stopped early

    def _put(self, index: int, item: pl.DataFrame | BaseException | None) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put((index, item), timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def stream(self, index: int) -> Frames:
        """Stream ``index``'s frames; the frames left of the streams before it are skipped (a renderer
        need not read an empty list), a stream already passed cannot be read again."""
        if index < self._next:
            raise RuntimeError(f"read-ahead list {index} read after list {self._next}")
        while True:
            try:
                got, item = self._queue.get(timeout=0.1)
            except queue.Empty:
                if self._thread.is_alive():
                    continue
                raise RuntimeError("the read-ahead of the lists has stopped") from None
            if isinstance(item, BaseException):
                raise item
            if item is None:
                self._next = got + 1
                if got == index:
                    return
            elif got == index:
                yield item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


class Rows:
    """Streams a report's lists from one connection (the report's read transaction), as typed frames in the
    columns' order; ``limit`` stops a list after that many rows (the PDF's). :meth:`ahead` reads them in a
    worker thread while the renderer formats; :meth:`close` ends it before the connection is used again."""

    def __init__(self, conn: Connection, report: ReportSettings, rule_name: Any, advice: Any, as_of: date) -> None:
        self.conn = conn
        self.report = report
        self.rule_name = rule_name
        self.advice = advice
        self.as_of = as_of
        self._ppk: pl.DataFrame | None = None
        self._ahead: _Ahead | None = None

    def ahead(self, streams: Sequence[Frames]) -> list[Frames]:
        """The streams (of this object's lists), read ahead in that order by one worker thread: the renderer
        must consume them in that order. Until :meth:`close`, nothing else may use the connection."""
        self.close()
        ahead = self._ahead = _Ahead(streams)
        return [ahead.stream(index) for index in range(len(streams))]

    def close(self) -> None:
        """Stop reading ahead (if it is) and wait for the worker: the connection is free again."""
        if self._ahead is not None:
            self._ahead.close()
            self._ahead = None

    def ppk(self) -> pl.DataFrame:
        """The PPK of each contract whose PPK is known (SPSE's e-Kontrak, or the file's optional columns),
        by (``opd``, ``nomor_kontrak``): ``"Nama PPK (NIP 1980...)"``. Read once per report."""
        if self._ppk is None:
            c = Contract.__table__.c
            query = select(c.opd, c.nomor_kontrak, c.nama_ppk, c.nip_ppk).where(c.nama_ppk.is_not(None))
            contracts = frame(self.conn, query, _PPK_SCHEMA)
            nip = pl.col("nip_ppk")
            self._ppk = contracts.select("opd", "nomor_kontrak", ppk=pl.when(nip.is_not_null() & (nip != "")).then(
                pl.format("{} (NIP {})", "nama_ppk", nip)).otherwise("nama_ppk"))
        return self._ppk

    def findings(self, spec: ListSpec, limit: int | None = None) -> Frames:
        f = FINDING.c
        keys = [c.key for c in spec.columns if c.key not in _OWN]
        values, record = details_columns(self.conn, keys)
        query = (select(f.id, f.rule, f.opd, *values).select_from(_with_details(FINDING, record))
                 .where(f.rule.in_(spec.rules), f.status.in_(ACTIVE))  # IN, not != resolved: the index serves it
                 .order_by(f.rule, f.opd, f.subject, f.id).limit(limit))
        schema = {"id": pl.Int64(), "rule": pl.String(), "opd": pl.String()} | {key: pl.String() for key in keys}
        for frame in frames(self.conn, query, schema):
            yield (frame.with_columns(rule_name=_by_rule(frame, self.rule_name, pl.String()))
                   .select(pl.col(c.key) if c.key in _OWN else _as_kind(c.key, c.kind) for c in spec.columns))

    def followup(self, limit: int | None = None) -> Frames:
        """The matrix: every finding that needs action, worst amount first within rule and OPD; the
        follow-up's defaults filled in as :func:`monitor.check.followup.from_row` does."""
        f, u = FINDING.c, FOLLOWUP.c
        details, record = details_columns(self.conn, ("nomor_kontrak", "tindakan"))
        query = (select(f.id, f.rule, f.opd, f.subject, f.amount_at_risk, f.first_seen, *details, u.status, u.due,
                        u.pic, u.note)
                 .select_from(_with_details(FINDING.outerjoin(FOLLOWUP, u.finding_id == f.id), record))
                 .where(f.status.in_(NEEDS_ACTION))
                 .order_by(f.rule, f.opd, f.amount_at_risk.desc(), f.id).limit(limit))
        for frame in frames(self.conn, query, _FOLLOWUP_SCHEMA):
            days = _by_rule(frame, self.report.followup_days_for, pl.Int64())
            values = {
                "id": pl.col("id"), "rule_name": _by_rule(frame, self.rule_name, pl.String()), "opd": pl.col("opd"),
                "ppk": pl.col("ppk").fill_null(UNKNOWN),  # a finding without an OPD joins no contract
                "subject": pl.col("subject"),
                "tindakan": _or(pl.col("tindakan"), _by_rule(frame, self.advice, pl.String())),
                "amount_at_risk": pl.col("amount_at_risk").fill_null(0),
                "due": pl.coalesce("due", pl.col("first_seen") + pl.duration(days=days)),
                "status_tl": _or(pl.col("status"), pl.lit(BELUM)), "pic": pl.col("pic"), "note": pl.col("note"),
                "age": (pl.lit(self.as_of) - pl.col("first_seen")).dt.total_days(),
            }
            yield (frame.join(self.ppk(), on=["opd", "nomor_kontrak"], how="left", maintain_order="left")
                   .select(**{c.key: values[c.key] for c in FOLLOWUP_COLUMNS}))

    def resolved(self, since: date, until: date, limit: int | None = None) -> Frames:
        """Findings resolved by a check run as of ``since`` to ``until``, and why."""
        f, u = FINDING.c, FOLLOWUP.c
        resolution = resolutions()
        query = (select(f.id, f.rule, f.opd, f.subject, resolution.c.resolved_on, f.resolved_reason, u.status)
                 .select_from(FINDING.join(resolution, resolution.c.finding_id == f.id)
                              .outerjoin(FOLLOWUP, u.finding_id == f.id))
                 .where(f.status == RESOLVED, resolution.c.resolved_on.between(since, until))
                 .order_by(f.rule, f.opd, f.subject, f.id).limit(limit))
        for frame in frames(self.conn, query, _RESOLVED_SCHEMA):
            values = {"rule_name": _by_rule(frame, self.rule_name, pl.String()),
                      "status_tl": _or(pl.col("status"), pl.lit(BELUM))}
            yield frame.select(**{c.key: values.get(c.key, pl.col(c.key)) for c in RESOLVED_COLUMNS})
