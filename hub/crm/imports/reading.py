"""A file's rows as text cells. Spreadsheets (.xlsx, .xlsm, .xls, .ods) are read by
python-calamine, first sheet; CSV by the standard library's csv module (calamine reads no
CSV), in UTF-8 with or without a byte-order mark: Excel's "CSV UTF-8" writes the mark, other
tools do not. Any other encoding (GBK, what Excel's plain "CSV" writes on a Chinese Windows)
is refused as a whole with a reason, never guessed: a wrong guess garbles every name."""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import PurePath

from python_calamine import CalamineError, CalamineWorkbook

from hub.errors import HubError

SPREADSHEETS = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"})
MAX_ROWS = 200_000
Cell = int | float | str | bool | time | date | datetime | timedelta


class FileRefused(HubError):
    """The file as a whole cannot be read; the message says why."""


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (the row's number in the file, 1 = header; cells)


def read_table(file_name: str, data: bytes) -> Table:
    suffix = PurePath(file_name).suffix.lower()
    if suffix == ".csv":
        lines = list(_csv_rows(data))
    elif suffix in SPREADSHEETS:
        lines = list(_sheet_rows(data))
    else:
        raise FileRefused(f"a .csv, .xlsx, .xls or .ods file, not {suffix or 'no extension'}")
    numbered = [(n, line) for n, line in enumerate(lines, start=1) if any(line)]
    if not numbered:
        raise FileRefused("the file has no header row")
    if len(numbered) - 1 > MAX_ROWS:
        raise FileRefused(f"at most {MAX_ROWS} rows a file")
    header = [h.strip() for h in numbered[0][1]]
    width = len(header)
    rows = [(n, (line + [""] * width)[:width]) for n, line in numbered[1:]]
    return Table(header, rows)


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRefused(
            'not UTF-8: save it as "CSV UTF-8" (GBK and other encodings are not read)'
        ) from exc
    try:
        for row in csv.reader(io.StringIO(text, newline="")):
            yield [cell.strip() for cell in row]
    except csv.Error as exc:
        raise FileRefused(f"not a CSV file: {exc}") from exc


def _sheet_rows(data: bytes) -> Iterator[list[str]]:
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            raise FileRefused("the workbook has no sheet")
        cells = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except CalamineError as exc:
        raise FileRefused(f"not a spreadsheet calamine can read: {exc}") from exc
    for row in cells:
        yield [cell_text(cell) for cell in row]


def cell_text(cell: Cell) -> str:
    """What a person typed, as text: 13812345678.0 (a phone Excel took for a number) is
    '13812345678', a date cell is '2024-02-29'."""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == time() else cell.isoformat()
    if isinstance(cell, date | time):
        return cell.isoformat()
    return str(cell).strip()
