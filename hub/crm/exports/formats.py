"""Rows -> CSV or XLSX bytes, a chunk at a time. CSV is UTF-8 with a byte-order mark (so
Excel opens Chinese names right) and streams as it is read. XLSX is written by openpyxl's
write-only workbook into a temporary file (an .xlsx is a zip: its directory comes last),
then streamed from there. A cell that a spreadsheet would run as a formula (= @ or + - not
followed by a digit) is prefixed with an apostrophe; phones (+86…) stay as they are."""

import csv
import io
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence

from openpyxl import Workbook

Cell = str | int | float | None
CHUNK = 64 * 1024
_FORMULA = re.compile(r"^(?:[=@\t\r]|[+-](?![0-9]))")


def safe(cell: Cell) -> Cell:
    if isinstance(cell, str) and _FORMULA.match(cell):
        return "'" + cell
    return cell


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if c is None else safe(c) for c in row])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def xlsx_chunks(
    header: Sequence[str], rows: Iterable[Sequence[Cell]], sheet: str
) -> Iterator[bytes]:
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    worksheet.append(list(header))
    for row in rows:
        worksheet.append([safe(c) for c in row])
    with tempfile.TemporaryFile() as out:
        workbook.save(out)
        out.seek(0)
        while chunk := out.read(CHUNK):
            yield chunk
