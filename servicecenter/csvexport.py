"""CSV export that a spreadsheet opens safely: cells that would start a formula are quoted as text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_lines(header: list[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """Yield the CSV row by row (with a BOM so Excel reads æøå; semicolons as Danish Excel expects)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    buffer.write("\ufeff")
    writer.writerow([safe_cell(c) for c in header])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
