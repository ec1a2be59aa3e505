"""Sample CSV files for the enrolment import: built in the encodings and shapes schools send."""

from collections.abc import Iterable, Sequence

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile

HEADER = ("username", "first_name", "last_name", "school", "email", "password")
CYRILLIC_PUPILS = (
    ("aidai.asanova", "Айдай", "Асанова"),
    ("bakyt.toktorov", "Бакыт", "Токторов"),
    ("chynara.jumabaeva", "Чынара", "Жумабаева"),
    ("daniyar.osmonov", "Данияр", "Осмонов"),
    ("elnura.sadykova", "Элнура", "Садыкова"),
)


def csv_text(
    rows: Iterable[Sequence[str]], *, header: Sequence[str] = HEADER, sep: str = ","
) -> str:
    """Lines joined with CRLF, as Excel writes them; fields quoted only when they must be."""

    def field(value: str) -> str:
        if any(c in value for c in (sep, '"', "\n", "\r")):
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = [sep.join(field(value) for value in row) for row in (header, *rows)]
    return "\r\n".join(lines) + "\r\n"


def csv_bytes(
    rows: Iterable[Sequence[str]],
    *,
    header: Sequence[str] = HEADER,
    encoding: str = "utf-8",
    bom: bool = False,
    sep: str = ",",
) -> bytes:
    data = csv_text(rows, header=header, sep=sep).encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def pupil_rows(count: int, *, school: str, prefix: str = "pupil") -> list[tuple[str, ...]]:
    """``count`` new pupils of ``school`` (a code), with no password: one is generated."""
    return [
        (f"{prefix}{n:05d}", f"First{n}", f"Last{n}", school, f"{prefix}{n:05d}@example.org", "")
        for n in range(count)
    ]


def cyrillic_rows(school: str) -> list[tuple[str, ...]]:
    return [(username, first, last, school, "", "") for username, first, last in CYRILLIC_PUPILS]


def upload(data: bytes, name: str = "pupils.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def database_state() -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, to prove that a dry run or a refused import wrote nothing."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values_list())
        for model in apps.get_models()
    }
