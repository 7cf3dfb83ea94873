"""Bulk import (批量导入) of enterprises and annual figures from CSV or XLSX files, and the XLSX export (导出) of a
filtered enterprise list.

How an import behaves (the API documents the same):

* The whole file is read and every row validated first, with the single-record API's models: a file-level fault
  (not UTF-8, not a readable XLSX, unknown or missing columns) refuses the whole file and writes nothing.
* Valid rows are then upserted by USCC in chunks of :data:`CHUNK_ROWS`; each chunk is one transaction holding its
  rows and their outbox events (``enterprise.registered`` for a new firm, ``enterprise.updated`` for a changed
  one, ``enterprise.figures_reported`` for figures). Accepted rows commit even when other rows are rejected; a
  rejected row writes nothing. A row equal to what is stored writes nothing and emits nothing, so importing the
  same file twice changes nothing the second time.
* An empty cell leaves the stored value as it is (a file may carry only the columns it updates); columns absent
  from the file are left alone too.
* One audit entry summarises the import (who, which file, counts, the records created and the fields changed per
  record); it commits right after the last chunk. Each chunk that writes also records, in its own transaction, an
  audit entry of the records it created or changed (entity type ``import_chunk``, the import's id), so that no
  change commits without one even when an import stops half way. There is no per-row audit entry: each event
  carries the request id, and the entries name every record the import created or changed.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import logging
import os
import re
import tempfile
import types
import typing
import uuid
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from sqlalchemy import String, Table, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.expression import bindparam

from services.registry.models import Enterprise
from services.registry.models.figures import AnnualFigures
from services.registry.models.imports import ImportJob
from services.registry.schemas import imports as schemas
from services.registry.schemas.enterprises import EnterpriseCreate
from services.registry.schemas.figures import FIGURE_FIELDS, AnnualFiguresWrite
from services.registry.service.access import ENTERPRISE_SCOPE, sees_personal_data
from services.registry.service.enterprises import PERSONAL_DATA_MASKS, PUBLIC_STATE_FIELDS, list_enterprises
from services.registry.service.evaluations import reevaluate_enterprises
from services.registry.service.figures import figure_flags, refresh_size_class, size_class_of
from shared.app import heap_frozen
from shared.auth import Actor, Role
from shared.bus.outbox import event_row
from shared.classification import CLUSTERS, SECTORS
from shared.clock import PROGRAMME_ZONE
from shared.db import is_postgres, new_id, utcnow
from shared.errors import DomainError, InvalidInput, NotFound, PermissionDenied, PreconditionFailed
from shared.events.envelope import EventPayload
from shared.events.registry import EnterpriseFiguresReported, EnterpriseRegistered, EnterpriseUpdated
from shared.ids import FUNCTIONAL_ZONES, HUZHOU_DISTRICTS
from shared.settings import ServiceSettings
from shared.uow import UnitOfWork, Work

# The default of the setting max_upload_bytes (SEEDBED_REGISTRY_MAX_UPLOAD_BYTES), the largest upload the API
# accepts: a CSV of 20 MiB holds over 100,000 enterprise rows of the documented columns.
MAX_UPLOAD_BYTES = ServiceSettings.model_fields["max_upload_bytes"].default
# Rows per transaction: large enough for bulk statements to pay off, small enough that a chunk's locks and its
# outbox rows stay short-lived.
CHUNK_ROWS = 1000
# Enterprise chunks written at once on PostgreSQL (SQLite has one writer at a time). Measured on 100 000 rows
# (bench/bench_import.py): 2 writers left the import waiting on commits (31 s), 3 keep it CPU-bound (16 s); more
# do not help on two cores.
WRITERS = 3

log = logging.getLogger(__name__)

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Kind = Literal["enterprises", "figures"]

_ENTERPRISES: Table = Enterprise.__table__  # type: ignore[assignment]
_FIGURES: Table = AnnualFigures.__table__  # type: ignore[assignment]


# ======================================================================================================================
# Reading a file
# ======================================================================================================================

# What a file may hold. The upload itself is capped by the setting max_upload_bytes (MAX_UPLOAD_BYTES by default);
# the caps below bound what its bytes unpack to and what reading them costs, and are checked before anything is
# parsed where they can be: a few hundred KB of XLSX can unpack to hundreds of MB, and a small file can hold
# millions of rows. A file beyond a cap of volume is refused with 413 (FileTooLarge), one of a shape no spreadsheet
# program writes with 422; both name the cap.
MAX_ROWS = 100_000  # below the header: several times the programme's whole register
MAX_COLUMNS = 256  # the documented columns are about 40
MAX_CELL_CHARS = 32_767  # what an Excel cell itself may hold
# Bounds openpyxl's time (about 15 µs a cell: 30 s, in the background) and its memory on a sheet that does not
# declare its size: opening it then walks the whole sheet and keeps an emptied element per cell.
MAX_CELLS = 2_000_000
MAX_TABLE_CHARS = 40_000_000  # the text of all cells, kept in memory while the import runs (about 80 MB at most)
# A file of more data rows than this is imported in the background (ImportJobs): the request answers 202 at once
# instead of running for minutes (100,000 rows take about half a minute on PostgreSQL, bench/bench_import.py).
BACKGROUND_ROWS = 5_000
# An XLSX costs by the cell to read (openpyxl: about 15 µs a cell): one of more cells goes to the background too.
BACKGROUND_XLSX_CELLS = 150_000
# XLSX only: a zip of XML parts.
MAX_XLSX_PARTS = 200
MAX_XLSX_UNPACKED_BYTES = 256 * 1024 * 1024
# Deflate packs spreadsheet XML 5 to 40 times (openpyxl's own files: 14); a bomb packs a thousand times.
MAX_XLSX_RATIO = 100
# openpyxl streams a worksheet's rows and drops each one once read, but reads the other parts whole (shared strings,
# styles, the workbook) and keeps every element of a worksheet outside its rows: those are bounded in bytes and in
# elements, and so is one row (or one shared string).
MAX_XLSX_WHOLE_PART_BYTES = 32 * 1024 * 1024
MAX_XLSX_SHARED_STRINGS = 1_000_000
MAX_XLSX_LOOSE_BYTES = 16 * 1024 * 1024
MAX_XLSX_LOOSE_ELEMENTS = 100_000
MAX_XLSX_RECORD_BYTES = 4 * 1024 * 1024
MAX_XLSX_RECORD_ELEMENTS = 4096
# No text or tag runs this long without a "<" (the longest cell is 32,767 characters: under 100 KB of UTF-8).
_XLSX_TEXT_BLOCK = 128 * 1024
_XLSX_SCAN_CHUNK = 8 * _XLSX_TEXT_BLOCK


class FileTooLarge(InvalidInput):
    """A file beyond one of the caps of volume above: the API answers 413, naming the cap (``limit``)."""

    title = "Upload too large"

    def __init__(self, detail: str, *, limit: str, value: int) -> None:
        super().__init__(detail, field="file", limit={"name": limit, "value": value})
        self.limit = limit


@dataclass
class RawTable:
    """A file's header and its non-blank data rows, each with the line number a spreadsheet shows."""

    header: list[str]
    header_line: int
    rows: list[tuple[int, tuple[str, ...]]]


def read_table(file_name: str, content: bytes, *, header_only: bool = False) -> RawTable:
    """Read a CSV (UTF-8, with or without BOM) or XLSX file into text cells; with ``header_only``, stop after the
    header. File-level faults are InvalidInput (FileTooLarge past a cap of volume)."""
    if not content.removeprefix(b"\xef\xbb\xbf").strip():
        raise InvalidInput(f"{file_name} is empty", field="file")
    if content[:4] == b"PK\x03\x04":
        return _read_xlsx(file_name, content, header_only=header_only)
    if content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InvalidInput(f"{file_name} is an old Excel 97–2003 (.xls) workbook; save it as .xlsx or as CSV UTF-8",
                           field="file")
    return _collect(file_name, _csv_records(file_name, content), header_only=header_only)


def _collect(file_name: str, records: Iterable[tuple[int, Sequence[str]]], *, header_only: bool) -> RawTable:
    """The header (the first non-blank record) and the data rows of ``records`` ((line, cells) pairs), within the
    caps on rows, columns and text."""
    header: list[str] | None = None
    header_line = 0
    rows: list[tuple[int, tuple[str, ...]]] = []
    chars = 0
    for count, (line, cells) in enumerate(records, start=1):
        if count > MAX_ROWS + 1:
            raise FileTooLarge(f"{file_name} has more than {MAX_ROWS + 1:,} rows (blank rows count): an import takes "
                               f"at most {MAX_ROWS:,} rows below its header; split the file", limit="max_rows",
                               value=MAX_ROWS)
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > MAX_COLUMNS and any(cell.strip() for cell in cells[MAX_COLUMNS:]):
            raise InvalidInput(f"{file_name}: line {line} has cells beyond column {MAX_COLUMNS}, the most a file may "
                               "have", field="file", limit={"name": "max_columns", "value": MAX_COLUMNS})
        if max(map(len, cells)) > MAX_CELL_CHARS:
            column = next(i for i, cell in enumerate(cells) if len(cell) > MAX_CELL_CHARS) + 1
            raise InvalidInput(f"{file_name}: the cell in column {column} of line {line} holds more than "
                               f"{MAX_CELL_CHARS:,} characters, the most a cell may hold", field="file",
                               limit={"name": "max_cell_chars", "value": MAX_CELL_CHARS})
        chars += sum(map(len, cells))
        if chars > MAX_TABLE_CHARS:
            raise FileTooLarge(f"{file_name} holds more than {MAX_TABLE_CHARS:,} characters of text; split the file",
                               limit="max_table_chars", value=MAX_TABLE_CHARS)
        if header is None:
            header, header_line = list(cells), line
            if header_only:
                break
        else:
            # Tuples of strings drop out of the garbage collector's view; 100 000 lists would make every full
            # collection during the import walk them all.
            rows.append((line, tuple(cells)))
    if header is None:
        raise InvalidInput(f"{file_name} has no header row", field="file")
    return RawTable(header, header_line, rows)


def _csv_records(file_name: str, content: bytes) -> Iterator[tuple[int, list[str]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # The codec reports offsets past the BOM it consumed; the user's editor counts from the file's start.
        offset = exc.start + (3 if content.startswith(b"\xef\xbb\xbf") else 0)
        line = content.count(b"\n", 0, offset) + 1
        raise InvalidInput(
            f"{file_name} is not UTF-8 text: the byte 0x{content[offset]:02X} at byte offset {offset} (line {line}) "
            "is not valid UTF-8. GB18030/GBK files are not accepted: save the file as UTF-8 "
            "(Excel: 'CSV UTF-8 (Comma delimited)') and upload it again",
            field="file",
        ) from None
    if "\x00" in text:
        raise InvalidInput(f"{file_name} holds NUL characters: it is not a CSV text file (UTF-16?); save it as UTF-8",
                           field="file")
    # Every cell but a line's first follows a comma: counted at C speed before the reader makes a list of them.
    if text.count(",") > MAX_CELLS:
        raise FileTooLarge(f"{file_name} holds more than {MAX_CELLS:,} cells; split the file", limit="max_cells",
                           value=MAX_CELLS)
    reader = csv.reader(io.StringIO(text, newline=""))
    next_line = 1
    try:
        for record in reader:
            line, next_line = next_line, reader.line_num + 1  # a quoted cell may span several physical lines
            yield line, record
    except csv.Error as exc:
        raise InvalidInput(f"{file_name} is not well-formed CSV near line {reader.line_num}: {exc}", field="file") from None


# What openpyxl may raise on a damaged or hostile workbook (defusedxml's refusals are ValueErrors; an XML syntax
# error is a SyntaxError): the file's fault, answered 422.
_XLSX_FAULTS = (zipfile.BadZipFile, zlib.error, KeyError, OSError, EOFError, ValueError, SyntaxError, TypeError,
                IndexError, NotImplementedError)


def _read_xlsx(file_name: str, content: bytes, *, header_only: bool) -> RawTable:
    import openpyxl  # imported here: only imports and exports need it
    from openpyxl.utils.exceptions import InvalidFileException

    if not openpyxl.DEFUSEDXML:
        # defusedxml is a dependency; OPENPYXL_DEFUSEDXML=False would turn it off. Never parse uploads without it.
        raise RuntimeError("openpyxl is not using defusedxml: refusing to parse an uploaded workbook")
    inspect_xlsx(file_name, content)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            # The first sheet is the data; further sheets (instructions, lists) are ignored.
            sheet = workbook.worksheets[0]
            declared = sheet.max_column  # the used range the sheet declares, if any
            if declared is not None and declared > MAX_COLUMNS:
                raise InvalidInput(f"{file_name}: the first sheet is {declared} columns wide; a file may have at most "
                                   f"{MAX_COLUMNS}", field="file", limit={"name": "max_columns", "value": MAX_COLUMNS})
            # Bounded both ways: openpyxl fills in missing rows up to the last one it meets and pads every row to
            # max_col, so neither a row numbered a million nor a cell in column 16,384 can make it loop.
            values = sheet.iter_rows(min_row=1, max_row=MAX_ROWS + 2, max_col=declared or MAX_COLUMNS,
                                     values_only=True)
            return _collect(file_name, ((line, _xlsx_texts(row)) for line, row in enumerate(values, start=1)),
                            header_only=header_only)
        finally:
            workbook.close()
    except (InvalidFileException, *_XLSX_FAULTS) as exc:
        raise InvalidInput(f"{file_name} is not a readable XLSX workbook ({type(exc).__name__}: {exc})",
                           field="file") from None


def _xlsx_texts(values: Sequence[Any]) -> list[str]:
    end = len(values)
    while end and values[end - 1] is None:
        end -= 1
    return [_xlsx_text(value) for value in values[:end]]


def _xlsx_text(value: Any) -> str:
    """A cell as the text a CSV would hold, so that both formats take one validation path."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        # Excel stores every number as a float: 1200000.0 is the integer 1200000.
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


# --- inspecting a workbook before openpyxl opens it ---------------------------------------------------------------

@dataclass
class XlsxCounts:
    """What a workbook's XML holds, counted without parsing it."""

    rows: int = 0  # row elements of every worksheet (Excel writes none for a blank row)
    cells: int = 0
    shared_strings: int = 0
    loose_bytes: int = 0  # outside any row or shared string
    loose_elements: int = 0


# A row or a shared string: the records openpyxl reads and drops one at a time. Any namespace prefix.
_XLSX_RECORD = re.compile(rb"<(/?)(?:[A-Za-z_][\w.\-]*:)?(row|si)(?=[\s/>])")
_XLSX_CELL = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?c(?=[\s/>])")
# How an XML document may begin (what expat would parse at all): other parts (images, printer settings) are
# never parsed as XML, so they are not scanned.
_XML_START = (b"<", b" ", b"\t", b"\r", b"\n", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def inspect_xlsx(file_name: str, content: bytes) -> XlsxCounts:
    """Check a workbook against the caps before openpyxl opens it: the zip's parts (how many, their unpacked
    sizes, how much each unpacks), then each XML part's content, streamed and counted at C speed (regular
    expressions and bytes.count over 1 MiB pieces: about a second for the largest workbook allowed)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = archive.infolist()
            if len(parts) > MAX_XLSX_PARTS:
                raise FileTooLarge(f"{file_name} is a zip of {len(parts)} parts; a workbook may have at most "
                                   f"{MAX_XLSX_PARTS}", limit="max_xlsx_parts", value=MAX_XLSX_PARTS)
            # The sizes are the zip's own records; zipfile never unpacks a part beyond its recorded size (and
            # checks its CRC), so what they say holds.
            unpacked = sum(part.file_size for part in parts)
            if unpacked > MAX_XLSX_UNPACKED_BYTES:
                raise FileTooLarge(f"{file_name} unpacks to {unpacked:,} bytes; a workbook may unpack to at most "
                                   f"{MAX_XLSX_UNPACKED_BYTES:,}", limit="max_xlsx_unpacked_bytes",
                                   value=MAX_XLSX_UNPACKED_BYTES)
            for part in parts:
                # Tiny parts pack unevenly; a part of a megabyte or more tells.
                if part.file_size > 1024 * 1024 and part.file_size > MAX_XLSX_RATIO * max(part.compress_size, 1):
                    raise FileTooLarge(
                        f"{file_name}: the part {part.filename} unpacks to {part.file_size // max(part.compress_size, 1)} "
                        f"times its packed size; a workbook's parts may unpack at most {MAX_XLSX_RATIO} times",
                        limit="max_xlsx_ratio", value=MAX_XLSX_RATIO)
            counts = XlsxCounts()
            for part in parts:
                _scan_xlsx_part(file_name, archive, part, counts)
            return counts
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        # RuntimeError: an encrypted part; NotImplementedError: a compression zipfile does not know.
        raise InvalidInput(f"{file_name} is not a readable XLSX workbook ({type(exc).__name__}: {exc})",
                           field="file") from None


def _scan_xlsx_part(file_name: str, archive: zipfile.ZipFile, part: zipfile.ZipInfo, counts: XlsxCounts) -> None:
    rows_before = counts.rows
    where = f"{file_name}: the part {part.filename}"
    with archive.open(part) as stream:
        chunk = stream.read(_XLSX_SCAN_CHUNK)
        if not chunk.startswith(_XML_START):
            return
        tail = b""
        offset = 0  # of the buffer's first byte in the part
        inside = False  # within a row or a shared string
        record_start = record_elements = 0
        while True:
            final = len(chunk) < _XLSX_SCAN_CHUNK
            for block in range(0, len(chunk) - _XLSX_TEXT_BLOCK + 1, _XLSX_TEXT_BLOCK):
                if chunk.find(b"<", block, block + _XLSX_TEXT_BLOCK) == -1:
                    raise InvalidInput(f"{where} holds a text or tag of more than {_XLSX_TEXT_BLOCK:,} bytes (a cell "
                                       f"holds at most {MAX_CELL_CHARS:,} characters)", field="file",
                                       limit={"name": "max_cell_chars", "value": MAX_CELL_CHARS})
            buffer = tail + chunk
            # Up to the last "<" well before the end, so that no tag is cut; at the end, everything.
            end = len(buffer) if final else max(buffer.rfind(b"<", 0, len(buffer) - 64), 0)
            position = 0
            for match in _XLSX_RECORD.finditer(buffer, 0, end):
                closing = bool(match.group(1))
                close_of_tag = -1 if closing else buffer.find(b">", match.end())
                if not closing and close_of_tag == -1 and not final:
                    end = match.start()  # its tag ends in the next piece: counted from there
                    break
                between = buffer.count(b"<", position, match.start())
                if inside:
                    record_elements += between
                else:
                    counts.loose_elements += between
                    counts.loose_bytes += match.start() - position
                if closing:
                    if inside:
                        _check_record(where, record_elements, offset + match.end() - record_start)
                        inside = False
                else:
                    if inside:  # a record opened within another: the other ends here
                        _check_record(where, record_elements, offset + match.start() - record_start)
                    if match.group(2) == b"row":
                        counts.rows += 1
                    else:
                        counts.shared_strings += 1
                    inside = buffer[close_of_tag - 1:close_of_tag] != b"/"
                    record_start, record_elements = offset + match.start(), 0
                position = match.end()
            between = buffer.count(b"<", position, end)
            if inside:
                record_elements += between
                _check_record(where, record_elements, offset + end - record_start)
            else:
                counts.loose_elements += between
                counts.loose_bytes += end - position
            counts.cells += len(_XLSX_CELL.findall(buffer, 0, end))
            _check_counts(file_name, counts)
            if final:
                break
            tail, offset = buffer[end:], offset + end
            chunk = stream.read(_XLSX_SCAN_CHUNK)
    if counts.rows == rows_before and part.file_size > MAX_XLSX_WHOLE_PART_BYTES:
        raise FileTooLarge(f"{where} unpacks to {part.file_size:,} bytes and is read whole; such a part may unpack "
                           f"to at most {MAX_XLSX_WHOLE_PART_BYTES:,}", limit="max_xlsx_whole_part_bytes",
                           value=MAX_XLSX_WHOLE_PART_BYTES)


def _check_record(where: str, elements: int, size: int) -> None:
    if elements > MAX_XLSX_RECORD_ELEMENTS or size > MAX_XLSX_RECORD_BYTES:
        raise InvalidInput(f"{where} holds a row or shared string of {size:,} bytes and {elements:,} elements; one "
                           f"may hold at most {MAX_XLSX_RECORD_BYTES:,} bytes and {MAX_XLSX_RECORD_ELEMENTS:,} "
                           "elements", field="file",
                           limit={"name": "max_xlsx_record_bytes", "value": MAX_XLSX_RECORD_BYTES})


def _check_counts(file_name: str, counts: XlsxCounts) -> None:
    caps = (
        (counts.rows, MAX_ROWS + 1, "max_rows", f"more than {MAX_ROWS + 1:,} rows (the header included): an import "
                                                f"takes at most {MAX_ROWS:,} rows below its header; split the file"),
        (counts.cells, MAX_CELLS, "max_cells", f"more than {MAX_CELLS:,} cells; split the file"),
        (counts.shared_strings, MAX_XLSX_SHARED_STRINGS, "max_xlsx_shared_strings",
         f"more than {MAX_XLSX_SHARED_STRINGS:,} distinct texts; split the file"),
        (counts.loose_bytes, MAX_XLSX_LOOSE_BYTES, "max_xlsx_loose_bytes",
         f"more than {MAX_XLSX_LOOSE_BYTES:,} bytes of XML besides its rows and texts (styles, formats, other "
         "parts); save the data alone as a new workbook, or as CSV UTF-8"),
        (counts.loose_elements, MAX_XLSX_LOOSE_ELEMENTS, "max_xlsx_loose_elements",
         f"more than {MAX_XLSX_LOOSE_ELEMENTS:,} XML elements besides its rows and texts (styles, formats, other "
         "parts); save the data alone as a new workbook, or as CSV UTF-8"),
    )
    for count, cap, name, words in caps:
        if count > cap:
            raise FileTooLarge(f"{file_name} holds {words}", limit=name, value=cap)


# ======================================================================================================================
# Columns
# ======================================================================================================================


def _normalise_title(title: str) -> str:
    table = str.maketrans({"（": "(", "）": ")", "　": "", " ": "", "\t": "", "\ufeff": ""})
    return title.translate(table).strip().lower()


@dataclass(frozen=True)
class ColumnSet:
    """The columns of one kind of import: documented ones, required ones, and ones read but ignored."""

    kind: Kind
    columns: tuple[schemas.Column, ...]
    required: tuple[str, ...]
    ignored: tuple[schemas.Column, ...] = ()
    list_fields: frozenset[str] = frozenset()

    def lookup(self) -> dict[str, schemas.Column | None]:
        found: dict[str, schemas.Column | None] = {}
        for column in self.columns:
            for name in (column.key, *column.titles):
                found[_normalise_title(name)] = column
        for column in self.ignored:
            for name in (column.key, *column.titles):
                found.setdefault(_normalise_title(name), None)
        return found

    def doc(self, max_bytes: int = MAX_UPLOAD_BYTES) -> schemas.ImportFormat:
        return schemas.ImportFormat(
            kind=self.kind,
            required=list(self.required),
            columns=[schemas.ColumnDoc(key=c.key, titles=list(c.titles)) for c in self.columns],
            ignored=[schemas.ColumnDoc(key=c.key, titles=list(c.titles)) for c in self.ignored],
            max_bytes=max_bytes,
            max_rows=MAX_ROWS,
            background_rows=BACKGROUND_ROWS,
            notes=_NOTES[self.kind] + _LIMIT_NOTES,
        )


_NOTES: dict[Kind, list[str]] = {
    "enterprises": [
        "CSV must be UTF-8 (a BOM is fine); XLSX is read from its first sheet. The first non-blank row is the header.",
        "Rows are matched to stored firms by USCC: a new USCC registers a firm, a known one updates it.",
        "An empty cell leaves the stored value as it is.",
        "Tag columns hold several tags separated by ; ， 、 or |.",
        "district_code takes the GB/T 2260 code or the district's name (吴兴区 or 吴兴); sector, cluster and "
        "functional_zone take the code or the Chinese name (先进制造业, 生物医药, 南太湖新区).",
        "A cell starting with a single quote before = + - @ (as written by the export) is read without the quote.",
        "Accepted rows commit even when other rows are rejected; each rejected row is listed with its line, "
        "field and reason, and writes nothing.",
    ],
    "figures": [
        "CSV must be UTF-8 (a BOM is fine); XLSX is read from its first sheet. The first non-blank row is the header.",
        "One row per firm (by USCC, already registered) and year; a row updates the figures stored for that year.",
        "Money columns ending in _fen are in fen (分); the *_wan columns and the plain Chinese titles are in 万元.",
        "market_share is a fraction (0.12); market_share_percent / 市场占有率（%） is a percentage (12).",
        "An empty cell leaves the stored value as it is. R&D expense above operating revenue is accepted and flagged.",
    ],
}


_LIMIT_NOTES = [
    f"A file may hold at most {MAX_ROWS:,} rows below its header, {MAX_COLUMNS} columns, {MAX_CELLS:,} cells and "
    f"{MAX_CELL_CHARS:,} characters in a cell; an XLSX may unpack to at most {MAX_XLSX_UNPACKED_BYTES // 2**20} MiB "
    f"in at most {MAX_XLSX_PARTS} parts, none unpacking more than {MAX_XLSX_RATIO} times its packed size. A file "
    "beyond a limit is refused as a whole (413 or 422, naming the limit) and writes nothing.",
    f"A file of at most {BACKGROUND_ROWS:,} rows is imported in the request, which answers 200 with the report. A "
    f"larger one (or an XLSX of more than {BACKGROUND_XLSX_CELLS:,} cells) is imported in the background: 202, with "
    "a Location to poll (GET /v1/imports/{id}) until its status is done, with the report, or failed.",
]


def _is_list(annotation: Any) -> bool:
    options = typing.get_args(annotation) if typing.get_origin(annotation) in (typing.Union, types.UnionType) else (annotation,)
    return any(typing.get_origin(o) is list for o in options)


def _is_structured(annotation: Any) -> bool:
    """A nested model (or a list of them): it has no single cell to live in."""
    stack = [annotation]
    while stack:
        current = stack.pop()
        if isinstance(current, type) and issubclass(current, BaseModel):
            return True
        stack.extend(typing.get_args(current))
    return False


def enterprise_columns() -> ColumnSet:
    """The enterprise file's columns: every flat field of the single-record API's EnterpriseCreate (so a field the
    API gains is importable at once), with the Chinese titles of :data:`schemas.ENTERPRISE_TITLES`."""
    columns = []
    list_fields = set()
    for name, info in EnterpriseCreate.model_fields.items():
        if _is_structured(info.annotation):
            continue
        if _is_list(info.annotation):
            list_fields.add(name)
        columns.append(schemas.Column(name, schemas.ENTERPRISE_TITLES.get(name, ())))
    required = tuple(name for name, info in EnterpriseCreate.model_fields.items() if info.is_required())
    ignored = tuple(schemas.Column(key, titles) for key, titles in schemas.ENTERPRISE_READ_ONLY.items())
    return ColumnSet("enterprises", tuple(columns), required, ignored, frozenset(list_fields))


def figure_columns() -> ColumnSet:
    return ColumnSet("figures", schemas.FIGURE_COLUMNS, ("uscc", "year"))


def _map_header(file_name: str, raw: RawTable, columns: ColumnSet) -> list[schemas.Column | None]:
    lookup = columns.lookup()
    mapped: list[schemas.Column | None] = []
    unknown: list[str] = []
    seen: dict[str, str] = {}
    for title in raw.header:
        if not title.strip():
            mapped.append(None)
            continue
        key = _normalise_title(title)
        if key not in lookup:
            unknown.append(title.strip())
            mapped.append(None)
            continue
        column = lookup[key]
        mapped.append(column)
        if column is not None:
            if column.target in seen:
                raise InvalidInput(f"{file_name}: columns {seen[column.target]!r} and {title.strip()!r} both give "
                                   f"{column.target}; keep one", field="file")
            seen[column.target] = title.strip()
    if unknown:
        raise InvalidInput(
            f"{file_name}: unknown column(s) {', '.join(repr(u) for u in unknown)} in the header (line "
            f"{raw.header_line}); the columns are listed by GET /v1/imports/{columns.kind}/columns",
            field="file", unknown_columns=unknown,
        )
    missing = [r for r in columns.required if r not in seen]
    if missing:
        raise InvalidInput(f"{file_name}: required column(s) {', '.join(missing)} missing from the header", field="file")
    return mapped


# ======================================================================================================================
# Rows
# ======================================================================================================================

_DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
# Vocabulary columns take the code or its Chinese name (吴兴区 / 吴兴 → 330502, 先进制造业 → advanced_manufacturing).
_CODE_BY_NAME: dict[str, dict[str, str]] = {
    "district_code": {**{name: code for code, name in HUZHOU_DISTRICTS.items()},
                      **{name[:-1]: code for code, name in HUZHOU_DISTRICTS.items()}},
    "sector": {name: code for code, name in SECTORS.items()},
    "cluster": {name: code for code, name in CLUSTERS.items()},
    "functional_zone": {name: code for code, name in FUNCTIONAL_ZONES.items()},
}
_TAG_SPLIT = re.compile("|".join(re.escape(s) for s in schemas.TAG_SEPARATORS))


def _cell_value(text: str) -> str:
    text = text.strip()
    # The export writes '=… to defuse formulas; read it back as written by the user.
    if len(text) > 1 and text[0] == "'" and text[1] in _DANGEROUS_FIRST:
        return text[1:]
    return text


@dataclass
class ValidRow:
    line: int
    uscc: str
    model: BaseModel


@dataclass
class Outcome:
    """Counts and findings of one import, filled while it runs; becomes the ImportReport."""

    kind: Kind
    file_name: str
    import_id: uuid.UUID = field(default_factory=new_id)
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected_lines: set[int] = field(default_factory=set)
    rejections: list[schemas.Rejection] = field(default_factory=list)
    rejection_count: int = 0
    flags: list[schemas.Flag] = field(default_factory=list)
    created_ids: list[str] = field(default_factory=list)
    changed_fields: dict[str, list[str]] = field(default_factory=dict)
    reevaluated: int = 0

    def reject(self, line: int, field_name: str | None, reason: str, uscc: str | None = None) -> None:
        self.rejected_lines.add(line)
        self.rejection_count += 1
        if len(self.rejections) < schemas.MAX_LISTED_REJECTIONS:
            self.rejections.append(schemas.Rejection(line=line, field=field_name, reason=reason, uscc=uscc))

    def part(self) -> Outcome:
        """An empty outcome of the same import, for one chunk: its audit entry names only what it wrote, while
        other chunks are written at the same time."""
        return Outcome(self.kind, self.file_name, import_id=self.import_id)

    def absorb(self, part: Outcome) -> None:
        """Add a committed chunk's findings (from :meth:`part`) to the import's."""
        self.created += part.created
        self.updated += part.updated
        self.unchanged += part.unchanged
        self.reevaluated += part.reevaluated
        self.rejected_lines |= part.rejected_lines
        self.rejection_count += part.rejection_count
        self.rejections.extend(part.rejections[:schemas.MAX_LISTED_REJECTIONS - len(self.rejections)])
        self.flags.extend(part.flags)
        self.created_ids.extend(part.created_ids)
        self.changed_fields.update(part.changed_fields)

    def report(self) -> schemas.ImportReport:
        rejected = len(self.rejected_lines)
        return schemas.ImportReport(
            import_id=self.import_id,
            kind=self.kind,
            file_name=self.file_name,
            rows=self.rows,
            accepted=self.created + self.updated + self.unchanged,
            created=self.created,
            updated=self.updated,
            unchanged=self.unchanged,
            rejected=rejected,
            rejections=sorted(self.rejections, key=lambda r: r.line),
            rejections_truncated=self.rejection_count > len(self.rejections),
            flags=self.flags,
            reevaluated=self.reevaluated,
        )

    def summary(self, report: schemas.ImportReport) -> dict[str, Any]:
        """What the import's audit entry records: the ``report``'s counts and which records it created or changed."""
        return {
            "file_name": report.file_name,
            "rows": report.rows,
            "accepted": report.accepted,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "rejected": report.rejected,
            "created_ids": self.created_ids,
            "changed_fields": self.changed_fields,
            "reevaluated": report.reevaluated,
        }


def _string_limits(table: Table) -> dict[str, int]:
    return {c.name: c.type.length for c in table.columns if isinstance(c.type, String) and c.type.length}


class RowValidator:
    """Every row through the API's model, slice by slice (CPU-bound: the caller runs it in a thread, so it returns
    its findings instead of touching the shared Outcome). Remembers the rows seen, to refuse a repeated USCC."""

    def __init__(self, mapped: Sequence[schemas.Column | None], columns: ColumnSet, model: type[BaseModel],
                 actor: Actor) -> None:
        self.columns = columns
        self.model = model
        self.actor = actor
        self.width = len(mapped)
        # (cell index, column, converter) for the cells that fill a field, worked out once per file.
        self.cells = [(i, column, self._converter(column)) for i, column in enumerate(mapped) if column is not None]
        self.limits = _string_limits(_ENTERPRISES if columns.kind == "enterprises" else _FIGURES)
        self.personal = schemas.PERSONAL_COLUMNS if columns.kind == "enterprises" else ()
        self.first_line_of: dict[Any, int] = {}

    def _converter(self, column: schemas.Column) -> Any:
        if column.convert is not None:
            return column.convert
        if column.target in self.columns.list_fields:
            return lambda text: [tag.strip() for tag in _TAG_SPLIT.split(text) if tag.strip()]
        names = _CODE_BY_NAME.get(column.target)
        if names:
            return lambda text: names.get(text, text)
        return None

    def validate(self, rows: Sequence[tuple[int, tuple[str, ...]]]) -> tuple[list[ValidRow], list[tuple[int, str | None, str, str | None]]]:
        valid: list[ValidRow] = []
        rejections: list[tuple[int, str | None, str, str | None]] = []
        for line, cells in rows:
            faults = self._faults(line, cells, valid)
            for field_name, reason, uscc in faults:
                rejections.append((line, field_name, reason, uscc))
        return valid, rejections

    def _faults(self, line: int, cells: Sequence[str], valid: list[ValidRow]) -> list[tuple[str | None, str, str | None]]:
        data: dict[str, Any] = {}
        faults: list[tuple[str | None, str]] = []
        if len(cells) > self.width and any(c.strip() for c in cells[self.width:]):
            faults.append((None, f"the row has more cells than the header's {self.width} columns"))
        for index, column, convert in self.cells:
            if index >= len(cells):
                break
            text = _cell_value(cells[index])
            if not text:
                continue
            if convert is None:
                data[column.target] = text
                continue
            try:
                data[column.target] = convert(text)
            except ValueError as exc:
                faults.append((column.key, str(exc)))
        uscc_text = str(data.get("uscc", "")).strip().upper() or None
        for name in self.personal:
            value = data.get(name)
            if isinstance(value, str) and "*" in value:
                faults.append((name, "looks masked (contains *): export with a role that sees personal data, "
                                     "or leave the cell empty"))
        row: BaseModel | None = None
        if not faults:
            try:
                row = self.model.model_validate(data)
            except ValidationError as exc:
                faults.extend((".".join(str(p) for p in e["loc"]) or None, e["msg"]) for e in exc.errors())
        if row is not None:
            faults.extend(_row_rules(row, self.columns.kind, self.limits, self.actor))
            if not faults:
                identity = (row.uscc, getattr(row, "year", None))  # type: ignore[attr-defined]
                if identity in self.first_line_of:
                    same = "same USCC and year" if self.columns.kind == "figures" else "same USCC"
                    faults.append(("uscc", f"repeats line {self.first_line_of[identity]} ({same})"))
                else:
                    self.first_line_of[identity] = line
                    valid.append(ValidRow(line, row.uscc, row))  # type: ignore[attr-defined]
        return [(field_name, reason, uscc_text) for field_name, reason in faults]


def _row_rules(row: BaseModel, kind: Kind, limits: dict[str, int], actor: Actor) -> list[tuple[str | None, str]]:
    faults: list[tuple[str | None, str]] = []
    # The columns' lengths, so that a value the model lets through cannot fail a whole chunk in the database.
    for name in row.model_fields_set:
        value = getattr(row, name)
        if isinstance(value, str) and name in limits and len(value) > limits[name]:
            faults.append((name, f"at most {limits[name]} characters"))
    if kind == "enterprises":
        try:
            # The firm the row registers or moves must be one the actor may manage (the stored firm is checked too,
            # when the chunk is written).
            ENTERPRISE_SCOPE.ensure_manageable(actor, {"district_code": row.district_code,  # type: ignore[attr-defined]
                                                       "uscc": row.uscc})  # type: ignore[attr-defined]
        except PermissionDenied as exc:
            faults.append(("district_code", exc.detail))
    return faults


# ======================================================================================================================
# Writing
# ======================================================================================================================

def _insert(session: AsyncSession, table: Table) -> Any:
    # INSERT … ON CONFLICT DO NOTHING exists on both backends; the dialect's own construct spells it.
    dialect = postgresql if is_postgres(session) else sqlite
    return dialect.insert(table)


def _comparable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, uuid.UUID)):
        return str(value)
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


def _db_value(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in new.items() if _comparable(old.get(k)) != _comparable(v)}


def _record_events(uow: UnitOfWork, events: list[tuple[str, EventPayload]]) -> None:
    """A chunk's events, as the outbox rows ``uow.emit`` would make one by one; the unit of work writes them with
    one executemany at commit."""
    now = utcnow()
    uow.event_rows([event_row(uow.settings, payload, subject=subject, actor=uow.actor, created_at=now)
                    for subject, payload in events])


async def _update_many(session: AsyncSession, table: Table, key: str, changes: list[tuple[Any, dict[str, Any]]],
                       extra: dict[str, Any], *, read_versions: dict[Any, int] | None = None) -> None:
    """UPDATE by primary key as executemany, one statement per distinct set of changed columns.

    ``read_versions`` (row id → the version the change was computed from) makes the updates of a versioned record
    what :class:`shared.db.Versioned` makes the ORM's: each row changes only at the version read, and its version
    (its ETag) moves by one. On PostgreSQL the rows are locked since they were read, so the condition always holds;
    on SQLite nothing locks them, and a row another request changed meanwhile is counted missing: the chunk is
    refused (412) rather than overwrite that change under the version number it gave the row."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row_id, values in changes:
        columns = tuple(sorted(values))
        params = {"b_id": row_id, **{f"b_{c}": values[c] for c in columns}}
        if read_versions is not None:
            params["b_read_version"] = read_versions[row_id]
        groups.setdefault(columns, []).append(params)
    # PostgreSQL's driver cannot count the rows of an executemany (and needs not: the rows are locked).
    counted = read_versions is not None and session.get_bind().dialect.supports_sane_multi_rowcount
    for columns, params in groups.items():
        statement = (
            update(table)
            .where(table.c[key] == bindparam("b_id"))
            .values({**{c: bindparam(f"b_{c}") for c in columns}, **extra})
        )
        if read_versions is not None:
            statement = statement.where(table.c.version == bindparam("b_read_version")).values(
                version=table.c.version + 1)
        result = await session.execute(statement, params)
        if counted and result.rowcount != len(params):  # type: ignore[attr-defined]
            raise PreconditionFailed("a record this import changes was changed by another request meanwhile; "
                                     "import the file again (the rows already imported come back unchanged)")


def _refusal_to_change(actor: Actor, firm: Any) -> str | None:
    """Why ``actor`` may not change a registered firm (a row of the enterprise table), None when it may. A firm the
    actor may not even read is not described (as the API's 404 and 409 do not point to it): that it exists, the
    USCC's unique slot tells anyway; which district holds it, the refusal does not."""
    if not ENTERPRISE_SCOPE.may_read(actor, firm):
        return "the enterprise with this USCC is registered outside this officer's scope"
    try:
        ENTERPRISE_SCOPE.ensure_manageable(actor, firm)
    except PermissionDenied as exc:
        return exc.detail
    return None


# --- enterprises ------------------------------------------------------------------------------------------------------

_ENTERPRISE_COLUMNS = frozenset(c.name for c in _ENTERPRISES.columns)
# A new row's every column, so that one executemany covers rows that set different fields.
_NEW_ENTERPRISE = {**{name: None for name in _ENTERPRISE_COLUMNS}, "product_tags": [], "capability_tags": []}


def _enterprise_values(row: BaseModel) -> dict[str, Any]:
    """The columns a row sets: the fields given in the file that are columns of the enterprise table."""
    return {name: _db_value(getattr(row, name)) for name in row.model_fields_set if name in _ENTERPRISE_COLUMNS}


def _state(enterprise_id: uuid.UUID, values: dict[str, Any]) -> dict[str, Any]:
    return {"enterprise_id": enterprise_id, **{k: values[k] for k in PUBLIC_STATE_FIELDS if values.get(k) is not None}}


async def _lock_enterprises(session: AsyncSession, usccs: Iterable[str]) -> dict[str, dict[str, Any]]:
    # Locked in USCC order, so that two imports of overlapping files wait for each other instead of deadlocking.
    statement = select(_ENTERPRISES).where(_ENTERPRISES.c.uscc.in_(list(usccs))).order_by(_ENTERPRISES.c.uscc)
    if is_postgres(session):
        # One locking read for the chunk (Records.get_for_change locks one record at a time). FOR NO KEY UPDATE
        # still conflicts with the FOR UPDATE of an API change (Records.get_for_change), so neither computes its
        # change from a row the other is changing: the API request waits, then finds the import's version (412
        # for an If-Match naming the old one). It does not conflict with the key-share lock that inserting a firm's
        # figures takes through their foreign key, so figures may be reported for these firms meanwhile.
        statement = statement.with_for_update(key_share=True)
    return {row.uscc: dict(row._mapping) for row in await session.execute(statement)}


async def _upsert_enterprises(uow: UnitOfWork, actor: Actor, chunk: list[ValidRow], outcome: Outcome) -> None:
    session = uow.session
    existing = await _lock_enterprises(session, (r.uscc for r in chunk))
    industry_changed: list[uuid.UUID] = []
    pending = chunk
    events: list[tuple[str, EventPayload]] = []
    now = utcnow()
    for _attempt in range(2):
        new_rows = [r for r in pending if r.uscc not in existing]
        updates: list[tuple[Any, dict[str, Any]]] = []
        for r in pending:
            old = existing.get(r.uscc)
            if old is None:
                continue
            # The stored district decides too: an officer may not take over another district's firm.
            refusal = _refusal_to_change(actor, old)
            if refusal is not None:
                outcome.reject(r.line, "district_code", refusal, r.uscc)
                continue
            changes = _diff(old, _enterprise_values(r.model))
            if not changes:
                outcome.unchanged += 1
                continue
            updates.append((old["id"], changes))
            merged = {**old, **changes, "version": old["version"] + 1}
            events.append((str(old["id"]), EnterpriseUpdated(**_state(old["id"], merged),
                                                    changed_fields=sorted(changes))))
            outcome.updated += 1
            outcome.changed_fields[str(old["id"])] = sorted(changes)
            if "industry_code" in changes:
                industry_changed.append(old["id"])
        if updates:
            await _update_many(session, _ENTERPRISES, "id", updates, {"updated_at": now},
                               read_versions={old["id"]: old["version"] for old in existing.values()})
        if not new_rows:
            break
        values = []
        for r in new_rows:
            given = _enterprise_values(r.model)
            values.append({
                **_NEW_ENTERPRISE,
                **given,
                "id": new_id(),
                # GB 32100: positions 3–8 are the registration authority's division code (the USCC is validated).
                "registration_division_code": r.uscc[2:8],
                "created_at": now,
                "updated_at": now,
                "version": 1,
            })
        statement = _insert(session, _ENTERPRISES).on_conflict_do_nothing(index_elements=["uscc"]).returning(
            _ENTERPRISES.c.uscc)
        inserted = set((await session.execute(statement, values)).scalars())
        for v in values:
            if v["uscc"] in inserted:
                events.append((str(v["id"]), EnterpriseRegistered(**_state(v["id"], v))))
                outcome.created += 1
                outcome.created_ids.append(str(v["id"]))
        # Rows another request registered after our read: handled as updates, once, in this same transaction.
        pending = [r for r in new_rows if r.uscc not in inserted]
        if not pending:
            break
        existing = await _lock_enterprises(session, (r.uscc for r in pending))
    # As after a single update: a new industry code changes the size class, which the updated event carries, and
    # every tier's general conditions.
    size_classes: dict[str, str | None] = {}
    for enterprise_id in industry_changed:
        enterprise = await session.get(Enterprise, enterprise_id)
        if enterprise is not None:
            size_classes[str(enterprise_id)] = await refresh_size_class(session, enterprise)
    events = [(subject, payload.model_copy(update={"size_class": size_classes[subject]})
               if subject in size_classes else payload) for subject, payload in events]
    _record_events(uow, events)
    outcome.reevaluated += len(await reevaluate_enterprises(uow, industry_changed))


# --- figures ----------------------------------------------------------------------------------------------------------

async def _upsert_figures(uow: UnitOfWork, actor: Actor, chunk: list[ValidRow], outcome: Outcome) -> None:
    session = uow.session
    firms_statement = select(_ENTERPRISES.c.id, _ENTERPRISES.c.uscc, _ENTERPRISES.c.district_code,
                             _ENTERPRISES.c.industry_code, _ENTERPRISES.c.size_class,
                             _ENTERPRISES.c.established_on).where(
        _ENTERPRISES.c.uscc.in_({r.uscc for r in chunk}))
    firms = {row.uscc: row for row in await session.execute(firms_statement)}
    rows: list[tuple[ValidRow, Any]] = []
    for r in chunk:
        firm = firms.get(r.uscc)
        if firm is None:
            outcome.reject(r.line, "uscc", "no enterprise with this USCC is registered; import the enterprise first",
                           r.uscc)
            continue
        refusal = _refusal_to_change(actor, firm)
        if refusal is not None:
            outcome.reject(r.line, "uscc", refusal, r.uscc)
            continue
        year = r.model.year  # type: ignore[attr-defined]
        if firm.established_on is not None and year < firm.established_on.year:
            outcome.reject(r.line, "year", f"year {year} is before the enterprise was established "
                                           f"({firm.established_on})", r.uscc)
            continue
        rows.append((r, firm))
    if not rows:
        return
    statement = select(_FIGURES).where(_FIGURES.c.enterprise_id.in_({firm.id for _, firm in rows}))
    if is_postgres(session):
        # One locking read for the chunk's stored years: an API correction of one of them (which reads it FOR
        # UPDATE) waits for this chunk and then finds the import's version, and this chunk never computes a
        # correction from figures another request is correcting.
        statement = statement.with_for_update()
    stored = {(row.enterprise_id, row.year): dict(row._mapping) for row in await session.execute(statement)}
    # The size class follows the latest year on file (REFERENCE §11), counting the years this chunk brings.
    latest_year: dict[uuid.UUID, int] = {}
    for enterprise_id, year in [*stored, *((firm.id, r.model.year) for r, firm in rows)]:  # type: ignore[attr-defined]
        latest_year[enterprise_id] = max(year, latest_year.get(enterprise_id, year))

    now = utcnow()
    inserts: list[dict[str, Any]] = []
    updates: list[tuple[Any, dict[str, Any]]] = []
    # (enterprise, year) → the row, the firm, the year's figures, their flags, whether they replace stored ones.
    reported: dict[tuple[uuid.UUID, int], tuple[ValidRow, Any, dict[str, Any], list[str], bool]] = {}
    for r, firm in rows:
        year = r.model.year  # type: ignore[attr-defined]
        given = {name: getattr(r.model, name) for name in r.model.model_fields_set if name in FIGURE_FIELDS}
        old = stored.get((firm.id, year))
        if old is None:
            values = {**{name: None for name in FIGURE_FIELDS}, **given}
            flags = figure_flags(values)
            inserts.append({**values, "id": new_id(), "enterprise_id": firm.id, "year": year,
                            "flags": flags, "reported_at": now, "updated_at": now, "version": 1,
                            "source": "import"})
        else:
            changes = _diff(old, given)
            if not changes:
                outcome.unchanged += 1
                continue
            values = {**{name: old[name] for name in FIGURE_FIELDS}, **changes}
            # Empty cells keep stored figures, so the year as a whole must still obey the API's rules.
            faults = _figure_faults(values)
            if faults:
                for name, reason in faults:
                    outcome.reject(r.line, name, f"{reason} (with the figures stored for {year})", r.uscc)
                continue
            flags = figure_flags(values)
            updates.append((old["id"], {**changes, "flags": flags, "source": "import"}))
            outcome.updated += 1
            outcome.changed_fields[f"{firm.id}/{year}"] = sorted(changes)
        reported[(firm.id, year)] = (r, firm, values, flags, old is not None)
    if inserts:
        # (enterprise_id, year) is unique: a row another request wrote after our read is not overwritten.
        statement = _insert(session, _FIGURES).on_conflict_do_nothing(index_elements=["enterprise_id", "year"]) \
            .returning(_FIGURES.c.enterprise_id, _FIGURES.c.year)
        inserted = set((await session.execute(statement, inserts)).tuples())
        for v in inserts:
            key = (v["enterprise_id"], v["year"])
            if key in inserted:
                outcome.created += 1
                outcome.created_ids.append(f"{v['enterprise_id']}/{v['year']}")
            else:
                r = reported.pop(key)[0]
                outcome.reject(r.line, "year", "these figures were reported by someone else meanwhile; import again",
                               r.uscc)
    if updates:
        await _update_many(session, _FIGURES, "id", updates, {"updated_at": now},
                           read_versions={row["id"]: row["version"] for row in stored.values()})

    size_changes: dict[Any, str] = {}
    events: list[tuple[str, EventPayload]] = []
    for (enterprise_id, year), (r, firm, values, flags, corrected) in reported.items():
        outcome.flags.extend(schemas.Flag(line=r.line, uscc=r.uscc, flag=flag) for flag in flags)
        size = size_class_of(firm.industry_code, values.get("employees"), values.get("operating_revenue_fen"),
                             values.get("total_assets_fen"))
        if year == latest_year[enterprise_id] and size != firm.size_class:
            size_changes[enterprise_id] = size
        events.append((str(enterprise_id), EnterpriseFiguresReported(
            enterprise_id=enterprise_id, year=year, size_class=size, flags=flags, corrected=corrected,
            **{name: values.get(name) for name in _FIGURES_EVENT_FIELDS})))
    if size_changes:
        # Derived state (as service.figures.refresh_size_class): the profile's version (its ETag) is left alone.
        await _update_many(session, _ENTERPRISES, "id", [(k, {"size_class": v}) for k, v in size_changes.items()],
                           {"updated_at": now})
    _record_events(uow, events)
    # As after a single report: the evaluations that read these figures are re-run, in this same transaction.
    firms = list(dict.fromkeys(enterprise_id for enterprise_id, _ in reported))
    outcome.reevaluated += len(await reevaluate_enterprises(uow, firms))


_FIGURES_EVENT_FIELDS = tuple(name for name in EnterpriseFiguresReported.model_fields
                              if name in FIGURE_FIELDS)


def _figure_faults(values: dict[str, Any]) -> list[tuple[str, str]]:
    try:
        AnnualFiguresWrite.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        return [(".".join(str(p) for p in e["loc"]) or "year", e["msg"]) for e in exc.errors()]
    return []


# --- the use cases ----------------------------------------------------------------------------------------------------


async def _run_import(work: Work, actor: Actor, columns: ColumnSet, model: type[BaseModel], file_name: str,
                      content: bytes, *, table: RawTable | None = None,
                      import_id: uuid.UUID | None = None) -> schemas.ImportReport:
    outcome = Outcome(columns.kind, file_name, import_id=import_id or new_id())
    # File-level faults surface here, before anything is written (a file read when it was accepted is not read again).
    raw = table if table is not None else await asyncio.to_thread(read_table, file_name, content)
    mapped = _map_header(file_name, raw, columns)
    outcome.rows = len(raw.rows)
    validator = RowValidator(mapped, columns, model, actor)
    upsert = _upsert_enterprises if columns.kind == "enterprises" else _upsert_figures
    # A pipeline: the next slice is validated (in a thread) while earlier chunks are written, and on PostgreSQL
    # WRITERS enterprise chunks are written at once, so that Python's work overlaps the database's. Those chunks
    # hold distinct firms (a repeated USCC is rejected), so they never wait on each other's rows; figure chunks may
    # share a firm (several years), so they are written one after the other.
    parallel = columns.kind == "enterprises" and is_postgres(work.sessions.kw["bind"])
    writers = WRITERS if parallel else 1
    queue: asyncio.Queue[list[ValidRow] | None] = asyncio.Queue(maxsize=writers)

    async def validate_slices() -> None:
        for start in range(0, len(raw.rows), CHUNK_ROWS):
            valid, rejections = await asyncio.to_thread(validator.validate, raw.rows[start:start + CHUNK_ROWS])
            for line, field_name, reason, uscc in rejections:
                outcome.reject(line, field_name, reason, uscc)
            if valid:
                await queue.put(valid)
        for _ in range(writers):
            await queue.put(None)

    async def write_chunks() -> None:
        while (chunk := await queue.get()) is not None:
            part = outcome.part()
            async with work(actor) as uow:
                await upsert(uow, actor, chunk, part)
                if part.created or part.updated:
                    uow.audit(f"{columns.kind}.import.chunk", "import_chunk", str(outcome.import_id), {
                        "file_name": file_name, "lines": [chunk[0].line, chunk[-1].line], "created": part.created,
                        "updated": part.updated, "created_ids": part.created_ids,
                        "changed_fields": part.changed_fields})
            outcome.absorb(part)

    try:
        # A third of a 100,000-row import's CPU went to full collections walking the whole heap (measured).
        with heap_frozen():
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(validate_slices())
                for _ in range(writers):
                    tasks.create_task(write_chunks())
    except ExceptionGroup as failure:
        # A chunk's refusal (a lost race on SQLite: 412) answers the request; the chunks before it are committed,
        # each with its audit entry, and importing the file again finishes the work.
        refusal = next((e for e in failure.exceptions if isinstance(e, DomainError)), None)
        if refusal is None:
            raise
        raise refusal from None
    report = outcome.report()
    async with work(actor) as uow:
        uow.audit(f"{columns.kind}.import", "import", str(outcome.import_id), outcome.summary(report))
    return report


@dataclass
class AcceptedFile:
    """A file that passed the file-level checks a request can afford: its size, its shape, its header."""

    rows: int  # data rows (for a large XLSX: its row elements counted, the header's taken off)
    background: bool
    table: RawTable | None  # the file read whole, when it was (every CSV, and an XLSX to import at once)


def accept_file(file_name: str, content: bytes, columns: ColumnSet) -> AcceptedFile:
    """The checks that refuse a file before any row is written: every cap, and for a file imported at once (and any
    CSV, which reads fast) its header too. A large XLSX is only inspected (inspect_xlsx: its zip and its XML counted,
    not parsed): opening it with openpyxl takes seconds, which the background job spends instead, and a fault found
    there (an unknown column) fails the job. CPU-bound: run it in a thread."""
    if content[:4] == b"PK\x03\x04":
        counts = inspect_xlsx(file_name, content)
        rows = max(counts.rows - 1, 0)
        if rows > BACKGROUND_ROWS or counts.cells > BACKGROUND_XLSX_CELLS:
            return AcceptedFile(rows, True, None)
    table = read_table(file_name, content)
    _map_header(file_name, table, columns)
    return AcceptedFile(len(table.rows), len(table.rows) > BACKGROUND_ROWS, table)


_KINDS: dict[Kind, tuple[Any, type[BaseModel]]] = {
    "enterprises": (enterprise_columns, EnterpriseCreate),
    "figures": (figure_columns, schemas.FiguresImportRow),
}


async def start_import(work: Work, jobs: ImportJobs, actor: Actor, kind: Kind, file_name: str,
                       content: bytes) -> schemas.ImportReport | schemas.ImportJobRead:
    """Import ``content`` at once (the report) or, past BACKGROUND_ROWS rows, in the background (the job to poll).
    enterprises: register or update enterprises (企业), upserting by USCC; figures: report or correct annual
    figures (年报), upserting by USCC and year."""
    _ensure_may_import(actor)
    make_columns, model = _KINDS[kind]
    columns = make_columns()
    accepted = await asyncio.to_thread(accept_file, file_name, content, columns)
    if accepted.background:
        return await jobs.submit(actor, columns, model, file_name, content, accepted.rows)
    return await _run_import(work, actor, columns, model, file_name, content, table=accepted.table)


def _ensure_may_import(actor: Actor) -> None:
    if actor.principal.role not in (Role.ADMIN, Role.OFFICER):
        raise PermissionDenied(f"role {actor.principal.role.value} may not import records")


# ======================================================================================================================
# Imports in the background
# ======================================================================================================================

# A running job's process says so this often (heartbeat_at), and one silent for STALE_AFTER is taken as stopped.
HEARTBEAT_SECONDS = 10.0
STALE_AFTER = timedelta(seconds=60)
# Imports one process keeps waiting behind the one it runs: each holds its file in memory until it runs.
MAX_WAITING_IMPORTS = 2
UNFINISHED = ("queued", "running")

_INTERRUPTED = {
    "status": 503, "title": "Interrupted",
    "detail": "the API process that ran this import stopped before it finished. Chunks committed before then stay, "
              "each with its audit entry; import the file again to finish (rows already imported come back "
              "unchanged)",
}
# The refusals an import can end with, as the API answers them (shared.http maps the same for requests).
_PROBLEM_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (FileTooLarge, 413), (InvalidInput, 422), (PreconditionFailed, 412), (PermissionDenied, 403))


class ImportsBusy(Exception):
    """This process already holds as many imports as it may: retry later (503)."""


class ImportJobs:
    """The background imports of one API process, owned by the app's lifespan (api/imports.py).

    A job is an asyncio task of this process; its state lives in the table import_jobs, so that any replica answers
    a poll. Jobs run one at a time (an import already writes with several connections), at most
    MAX_WAITING_IMPORTS wait behind the running one, and nothing survives the process: a job it was running or
    holding when it stopped is marked failed, by this process when it stops cleanly, else at its next start (its
    host name, the pod's name, is the job's owner) or, once its heartbeat is STALE_AFTER old, by any replica that
    is asked about it."""

    def __init__(self, work: Work, owner: str) -> None:
        self.work = work
        self.owner = owner[:255]
        self._turn = asyncio.Lock()
        self._tasks: dict[uuid.UUID, asyncio.Task[None]] = {}
        self._heartbeat: asyncio.Task[None] | None = None

    async def start(self) -> int:
        """Mark failed the jobs a previous run of this process left unfinished, and those gone quiet elsewhere;
        returns how many."""
        failed = await self._fail_abandoned(or_owned_by=self.owner)
        self._heartbeat = asyncio.create_task(self._beat(), name="import jobs heartbeat")
        return failed

    async def stop(self) -> None:
        """Cancel the jobs this process holds, and mark them failed (a task cancelled before it ever ran has no
        chance to say so itself)."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        held = dict(self._tasks)
        for task in held.values():
            task.cancel()
        await asyncio.gather(*held.values(), *([self._heartbeat] if self._heartbeat else []), return_exceptions=True)
        if held:
            async with self.work.sessions.begin() as session:
                await session.execute(update(ImportJob).where(ImportJob.id.in_(list(held)),
                                                              ImportJob.status.in_(UNFINISHED))
                                      .values(status="failed", finished_at=utcnow(), problem=_INTERRUPTED))

    async def submit(self, actor: Actor, columns: ColumnSet, model: type[BaseModel], file_name: str,
                     content: bytes, rows: int) -> schemas.ImportJobRead:
        if len(self._tasks) > MAX_WAITING_IMPORTS:
            raise ImportsBusy(f"this server is already running an import and holds {MAX_WAITING_IMPORTS} more; "
                              "retry in a minute")
        now = utcnow()
        job = ImportJob(id=new_id(), kind=columns.kind, file_name=file_name[:255], status="queued", rows=rows,
                        created_by=actor.principal.subject[:200], created_by_role=actor.principal.role.value,
                        request_id=actor.request_id, owner=self.owner, heartbeat_at=now, created_at=now)
        async with self.work.sessions.begin() as session:
            session.add(job)
        task = asyncio.create_task(self._run(job.id, actor, columns, model, job.file_name, content),
                                   name=f"import {job.id}")
        self._tasks[job.id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job.id, None))
        return schemas.ImportJobRead.model_validate(job)

    async def get(self, actor: Actor, job_id: uuid.UUID) -> schemas.ImportJobRead:
        """The job, for the one who started it or an admin (to anyone else it does not exist: 404)."""
        async with self.work.sessions() as session:
            job = await session.get(ImportJob, job_id)
            if job is not None and job.status in UNFINISHED and job.heartbeat_at < utcnow() - STALE_AFTER:
                # Its process stopped without a word (a pod gone for good): said here, by whoever is asked.
                await self._fail_abandoned(job_id=job_id)
                await session.refresh(job)
        principal = actor.principal
        if job is None or (principal.role != Role.ADMIN and (job.created_by, job.created_by_role) != (
                principal.subject, principal.role.value)):
            raise NotFound("no import with this id", field="import_id")
        return schemas.ImportJobRead.model_validate(job)

    async def _run(self, job_id: uuid.UUID, actor: Actor, columns: ColumnSet, model: type[BaseModel],
                   file_name: str, content: bytes) -> None:
        try:
            async with self._turn:
                await self._update(job_id, status="running", started_at=utcnow(), heartbeat_at=utcnow())
                report = await _run_import(self.work, actor, columns, model, file_name, content, import_id=job_id)
            await self._update(job_id, status="done", finished_at=utcnow(), report=report.model_dump(mode="json"))
        except DomainError as refusal:
            status = next((s for cls, s in _PROBLEM_STATUS if isinstance(refusal, cls)), 400)
            problem: dict[str, Any] = {"status": status, "title": refusal.title, "detail": refusal.detail}
            if refusal.field:
                problem["errors"] = [{"field": refusal.field, "reason": refusal.detail}]
            problem.update({k: v for k, v in refusal.extra.items() if k not in problem})
            await self._update(job_id, status="failed", finished_at=utcnow(), problem=problem)
        except Exception:
            log.exception("import %s failed", job_id)
            await self._update(job_id, status="failed", finished_at=utcnow(), problem={
                "status": 500, "title": "Internal error",
                "detail": f"an unexpected error stopped the import; quote its id ({job_id}) when reporting it"})

    async def _update(self, job_id: uuid.UUID, **values: Any) -> None:
        async with self.work.sessions.begin() as session:
            await session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))

    async def _fail_abandoned(self, *, or_owned_by: str | None = None, job_id: uuid.UUID | None = None) -> int:
        abandoned = ImportJob.heartbeat_at < utcnow() - STALE_AFTER
        if or_owned_by is not None:
            abandoned = or_(abandoned, ImportJob.owner == or_owned_by)
        condition = and_(ImportJob.status.in_(UNFINISHED), abandoned)
        if job_id is not None:
            condition = and_(condition, ImportJob.id == job_id)
        async with self.work.sessions.begin() as session:
            result = await session.execute(update(ImportJob).where(condition).values(
                status="failed", finished_at=utcnow(), problem=_INTERRUPTED))
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            if not self._tasks:
                continue
            try:
                async with self.work.sessions.begin() as session:
                    await session.execute(update(ImportJob).where(ImportJob.id.in_(list(self._tasks)))
                                          .values(heartbeat_at=utcnow()))
            except Exception:  # noqa: BLE001 - the database away for a moment: the next beat tries again
                log.warning("import jobs heartbeat failed", exc_info=True)


# ======================================================================================================================
# Export
# ======================================================================================================================


@dataclass(frozen=True)
class ExportFilters:
    """The enterprise list's filters (GET /v1/enterprises)."""

    district_code: str | None = None
    sector: str | None = None
    cluster: str | None = None
    size_class: str | None = None
    pool: str | None = None
    q: str | None = None


def _export_columns() -> list[tuple[str, str]]:
    """(key, header) pairs: the import's columns first, so an edited export imports again, then read-only ones."""
    keys = ["id"] + [c.key for c in enterprise_columns().columns if c.key in _ENTERPRISES.c] + [
        k for k in schemas.ENTERPRISE_READ_ONLY if k != "id"]
    titles = {**{k: t[0] for k, t in schemas.ENTERPRISE_TITLES.items() if t},
              **{k: t[0] for k, t in schemas.ENTERPRISE_READ_ONLY.items() if t}}
    return [(k, titles.get(k, k)) for k in keys]


_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def escape_cell(text: str) -> str:
    """Defuse formula injection (CSV/DDE injection): text starting with = + - @ TAB or CR gets a leading quote, so
    a spreadsheet shows it as text and never evaluates it. Control characters XML cannot hold are dropped."""
    text = _ILLEGAL_XML.sub("", text)
    return "'" + text if text.startswith(_DANGEROUS_FIRST) else text


def _export_cell(column: str, value: Any, masked: bool) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        value = "、".join(str(v) for v in value)
    elif isinstance(value, datetime):
        # Excel has no time zones: shown in Huzhou time (DESIGN §4.6).
        return value.astimezone(PROGRAMME_ZONE).replace(tzinfo=None)
    elif isinstance(value, date | int | float) and not isinstance(value, bool):
        return value
    text = str(value)
    if masked and column in PERSONAL_DATA_MASKS:
        text = PERSONAL_DATA_MASKS[column](text) or ""
    return escape_cell(text)


# Rows per page read for an export (the list's keyset pagination, so the filters and scopes are the list's own).
EXPORT_PAGE = 1000


async def export_enterprises(sessions: async_sessionmaker[AsyncSession], actor: Actor,
                             filters: ExportFilters) -> str:
    """Write the filtered enterprise list to an XLSX file; returns its path (the caller streams and deletes it).

    The rows are those GET /v1/enterprises lists for the same actor and filters, in creation order. Every text
    cell is escaped against formula injection; personal data is masked per record for roles that may not see it
    (``sees_personal_data``)."""
    import openpyxl

    columns = _export_columns()
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("企业")
    sheet.append([title for _, title in columns])
    handle, path = tempfile.mkstemp(prefix="seedbed-export-", suffix=".xlsx")
    os.close(handle)
    try:
        cursor: str | None = None
        while True:
            page, cursor = await list_enterprises(sessions, actor, limit=EXPORT_PAGE, cursor=cursor, sort="created_at",
                                                  **dataclasses.asdict(filters))
            rows = [[_export_cell(key, getattr(e, key, None), not sees_personal_data(actor, e)) for key, _ in columns]
                    for e in page]
            # openpyxl is CPU-bound: off the event loop.
            await asyncio.to_thread(_append_rows, sheet, rows)
            if cursor is None:
                break
        await asyncio.to_thread(workbook.save, path)
    except BaseException:
        os.unlink(path)
        raise
    return path


def _append_rows(sheet: Any, rows: list[list[Any]]) -> None:
    for row in rows:
        sheet.append(row)

