"""The error report: an .xlsx, one line per problem, naming the file's row (the header is
row 1), the column as the file spelled it, and the reason. Values are never quoted: they
are personal, and the person who imported has the file."""

import io
from collections.abc import Iterable
from dataclasses import dataclass

from openpyxl import Workbook

HEADER = ("row", "column", "reason")


@dataclass(frozen=True, order=True)
class RowProblem:
    row: int
    column: str
    reason: str


def error_report(problems: Iterable[RowProblem]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("errors")
    sheet.append(list(HEADER))
    for p in sorted(problems):
        sheet.append([p.row, p.column, p.reason])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
