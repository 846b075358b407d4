"""The run's findings on their way to the write: deduplicated, serialized, hashed, parked on disk.

While the rules run (before any lock is taken) each finding is deduplicated by fingerprint, its
details serialized and hashed, and parked in a temporary file in chunks of :data:`CHUNK`
(length-prefixed marshal frames, :func:`frame` / :func:`read_frames`), so a million findings of a
kilobyte each are never all in memory. The forked rules process writes the same format
(:mod:`monitor.check.forked`).
"""

from __future__ import annotations

import logging
import marshal
import os
import struct
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, NamedTuple, Protocol

from monitor.check.findings import stored_content
from monitor.compute.processes import anonymous_file
from monitor.records import Finding as DetectedFinding

log = logging.getLogger(__name__)

_LENGTH = struct.Struct("<Q")
CHUNK = 5_000  # findings per spool chunk and per write: well under every engine's bound-parameter limit


class Detected(NamedTuple):
    """A finding ready to store: its details already serialized (JSON text) and its content hash."""

    fingerprint: str
    rule: str
    subject: str
    severity: str
    title: str
    opd: str | None
    amount_at_risk: int
    details: str
    digest: str


class Spool:
    """The run's findings, deduplicated by fingerprint and hashed, parked on disk until the write.

    A rule yielding one subject twice is a rule bug: the first finding is kept and the duplicates are
    counted (and logged), so the outcome does not depend on memory or chunking."""

    def __init__(self, file: IO[bytes] | None = None, on_chunk: Callable[[int], None] | None = None) -> None:
        # Closed by close() / the with-block: the spool outlives the call that fills it.
        self._file: IO[bytes] = anonymous_file() if file is None else file
        # Told the file's end offset after each chunk is written (and flushed to the file).
        self._on_chunk = on_chunk
        self._buffer: list[tuple[Any, ...]] = []
        self._seen: set[int] = set()  # fingerprints as 128-bit ints: half the memory of the hex strings
        self.count = 0
        self.duplicates = 0

    def add(self, finding: DetectedFinding) -> None:
        key = finding.fingerprint
        number = int(key, 16)
        if number in self._seen:
            self.duplicates += 1
            if self.duplicates <= 10:
                log.warning("rule %s yielded %s twice; keeping the first", finding.rule, finding.subject)
            return
        self._seen.add(number)
        details, digest = stored_content(finding)
        self._buffer.append((key, finding.rule, finding.subject, finding.severity, finding.title, finding.opd,
                             finding.amount_at_risk, details, digest))
        self.count += 1
        if len(self._buffer) >= CHUNK:
            self._flush()

    def extend(self, findings: Iterable[DetectedFinding]) -> Spool:
        for finding in findings:
            self.add(finding)
        self._flush()
        return self

    def __contains__(self, fingerprint: str) -> bool:
        return int(fingerprint, 16) in self._seen

    @property
    def fingerprints(self) -> set[int]:
        """The fingerprints spooled, as 128-bit integers."""
        return self._seen

    def chunks(self) -> Iterator[list[Detected]]:
        self._flush()
        self._file.flush()
        yield from read_chunks(self._file.fileno(), 0, self._file.seek(0, 2))

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _flush(self) -> None:
        if self._buffer:
            # Length-prefixed: marshal.loads on bytes is several times faster than marshal.load on a file.
            self._file.write(frame(marshal.dumps(self._buffer)))
            self._buffer = []
            if self._on_chunk is not None:
                self._file.flush()
                self._on_chunk(self._file.tell())


def frame(data: bytes) -> bytes:
    """``data`` prefixed with its length, as spool files hold their parts (:func:`read_frames`)."""
    return _LENGTH.pack(len(data)) + data


def read_frames(fd: int, start: int, end: int) -> Iterator[bytes]:
    """The parts (:func:`frame`) written to file ``fd`` between offsets ``start`` and ``end``, one at a
    time. Positional reads (``pread``): another process may be appending to the same open file,
    through the shared offset."""
    while start < end:
        (length,) = _LENGTH.unpack(os.pread(fd, _LENGTH.size, start))
        data = os.pread(fd, length, start + _LENGTH.size)
        if len(data) != length:
            raise OSError(f"spool file cut short at offset {start}")
        start += _LENGTH.size + length
        yield data


def read_chunks(fd: int, start: int, end: int) -> Iterator[list[Detected]]:
    """The chunks a spool wrote to file ``fd`` between offsets ``start`` and ``end``."""
    for data in read_frames(fd, start, end):
        yield [Detected._make(row) for row in marshal.loads(data)]


class SpooledFindings(Protocol):
    """What :func:`reconcile` reads: a :class:`Spool`, or the findings of rules run in two processes
    (:class:`monitor.check.forked.ForkedSpool`). ``count`` and ``duplicates`` are final once every chunk
    has been read."""

    count: int
    duplicates: int

    def chunks(self) -> Iterator[list[Detected]]: ...
