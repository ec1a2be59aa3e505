"""CSV downloads that open correctly in the spreadsheet programs schools use."""

import csv
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse

# A cell starting with one of these is read as a formula by spreadsheet programs: a name like
# "=HYPERLINK(...)" typed into a form must stay text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    """UTF-8 with a byte-order mark (so Excel shows Cyrillic), as a download."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([_cell(value) for value in header])  # titles are typed by people too
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return response
