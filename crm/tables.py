"""Reading the tables people bring: CSV (any of the encodings and delimiters spreadsheet
programs write) and XLSX, streamed row by row, never read whole into memory.

CSV is parsed by Python's `csv` module over a decoded text stream; XLSX by openpyxl in
read-only mode. Cells come back as text exactly as written: a cell that looks like a formula
(`=SUM(A1)`) is text here and is never evaluated (openpyxl is asked for the formula, not a
cached result).
"""

import codecs
import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import islice

import openpyxl

XLSX_MAGIC = b"PK\x03\x04"
DELIMITERS = (",", ";", "\t")
SAMPLE_BYTES = 64 * 1024
# How many lines a header may come after (LinkedIn puts a few lines of notes first).
HEADER_SEARCH_ROWS = 20
_CHUNK = 1024 * 1024


class NotATable(ValueError):
    """The file cannot be read as a table; the message says why, for the person who sent it."""


@dataclass
class Table:
    """An opened table: its headers (unique, non-empty), where they were, and its rows."""

    headers: list
    header_line: int
    format: str
    encoding: str = ""
    delimiter: str = ""
    rows: object = None  # iterator of (line number, list of cell texts)
    progress: object = None  # callable: fraction of the file read, 0.0 .. 1.0
    _closers: list = field(default_factory=list)

    def close(self):
        for close in self._closers:
            close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_table(path, is_header=None):
    """Open the CSV or XLSX file at `path` as a Table.

    `is_header(cells)` says whether a row is the header (the first row that is one is taken,
    among the first HEADER_SEARCH_ROWS); by default the first row with two or more cells.
    Raises NotATable with a reason a person can act on.
    """
    is_header = is_header or (lambda cells: sum(1 for c in cells if c) >= 2)
    with open(path, "rb") as probe:
        head = probe.read(SAMPLE_BYTES)
    if not head.strip():
        raise NotATable("The file is empty.")
    if head.startswith(XLSX_MAGIC):
        return _open_xlsx(path, is_header)
    return _open_csv(path, head, is_header)


def cell_text(value):
    """One cell as the text a person typed: numbers without a spurious `.0`, dates in ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    # PostgreSQL refuses NUL in text; nothing a person typed needs one.
    return str(value).replace("\x00", "").strip()


def unique_headers(cells):
    """Header names that are non-empty and unique: `column 3` for an empty one, `Email (2)`
    for the second `Email`."""
    headers, seen = [], set()
    for index, cell in enumerate(cells, start=1):
        name = cell or f"column {index}"
        candidate, n = name, 1
        while candidate.lower() in seen:
            n += 1
            candidate = f"{name} ({n})"
        seen.add(candidate.lower())
        headers.append(candidate)
    return headers


# --- CSV -------------------------------------------------------------------------------


def detect_encoding(path, head):
    """The text encoding of a CSV file.

    A BOM decides (UTF-8, or UTF-16 as Excel's "Unicode text" writes it); otherwise UTF-8 if
    the whole file decodes as UTF-8 (checked in chunks, never whole in memory), else
    Windows-1252, else Latin-1 (which decodes any byte).
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise NotATable("The file is binary (it contains NUL bytes), not a CSV or XLSX table.")
    for encoding in ("utf-8", "cp1252"):
        if _decodes_as(path, encoding):
            return encoding
    return "latin-1"


def _decodes_as(path, encoding):
    decoder = codecs.getincrementaldecoder(encoding)()
    with open(path, "rb") as f:
        try:
            while chunk := f.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def sniff_delimiter(sample_text):
    """`,` `;` or tab: the one that splits the sample's lines into the most regular columns.

    Each candidate parses the sample with the csv module; notes lines before a header (as
    LinkedIn writes) and a last line cut by the sample's end weigh little against the table.
    """
    lines = sample_text.splitlines(keepends=True)
    if len(lines) > 1 and not sample_text.endswith(("\n", "\r")):
        lines = lines[:-1]
    best, best_score = ",", 0
    for delimiter in DELIMITERS:
        try:
            widths = [len(row) for row in csv.reader(lines, delimiter=delimiter) if any(row)]
        except csv.Error:
            continue
        wide = [w for w in widths if w > 1]
        if not wide:
            continue
        common = max(set(wide), key=wide.count)
        score = wide.count(common) * common
        if score > best_score:
            best, best_score = delimiter, score
    return best if best_score else None


def _open_csv(path, head, is_header):
    encoding = detect_encoding(path, head)
    sample = head.decode(encoding, errors="ignore")
    if encoding == "utf-16":
        delimiter = "\t" if "\t" in sample else sniff_delimiter(sample)
    else:
        delimiter = sniff_delimiter(sample)
    if delimiter is None:
        raise NotATable(
            "No columns found: the file has no line split by commas, semicolons or tabs. "
            "Export it from your spreadsheet as CSV or XLSX."
        )
    raw = open(path, "rb")  # noqa: SIM115 - the Table closes it, after the last row
    size = max(1, raw.seek(0, io.SEEK_END))
    raw.seek(0)
    text = io.TextIOWrapper(raw, encoding=encoding, newline="")
    reader = csv.reader(text, delimiter=delimiter)
    try:
        rows = _numbered(reader)
        header_line, headers = _find_header(rows, is_header)
    except csv.Error as error:
        text.close()
        raise NotATable(f"The file is not a readable CSV table: {error}.") from error
    except NotATable:
        text.close()
        raise
    return Table(
        headers=headers,
        header_line=header_line,
        format="csv",
        encoding=encoding,
        delimiter=delimiter,
        rows=_csv_errors_named(rows),
        progress=lambda: min(1.0, raw.tell() / size),
        _closers=[text.close],
    )


def _numbered(reader):
    """Rows with the line they start on (a quoted line break makes a row span lines)."""
    start = 1
    for row in reader:
        yield start, [cell_text(cell) for cell in row]
        start = reader.line_num + 1


def _csv_errors_named(rows):
    try:
        yield from rows
    except csv.Error as error:
        raise NotATable(f"The file stops being a readable CSV table: {error}.") from error


def _find_header(rows, is_header):
    for line, cells in islice(rows, HEADER_SEARCH_ROWS):
        if is_header(cells):
            while cells and not cells[-1]:
                cells = cells[:-1]
            return line, unique_headers(cells)
    raise NotATable(
        f"No header row found in the first {HEADER_SEARCH_ROWS} rows: the file needs a row of column "
        "names (such as Name, Email, Company, Phone) above its data."
    )


# --- XLSX ------------------------------------------------------------------------------


def _open_xlsx(path, is_header):
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise NotATable(
            f"The file looks like a ZIP archive but is not an XLSX workbook ({error})."
        ) from error
    sheet = book.worksheets[0] if book.worksheets else None
    if sheet is None:
        book.close()
        raise NotATable("The workbook has no sheet.")
    total = sheet.max_row or 0
    position = {"row": 0}

    def numbered():
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            position["row"] = line
            yield line, [cell_text(value) for value in values]

    rows = numbered()
    try:
        header_line, headers = _find_header(rows, is_header)
    except NotATable:
        book.close()
        raise
    return Table(
        headers=headers,
        header_line=header_line,
        format="xlsx",
        rows=rows,
        progress=lambda: min(1.0, position["row"] / total) if total else 0.0,
        _closers=[book.close],
    )
