"""Grades of a class from a CSV file: a teacher who marked on paper, or keeps a spreadsheet,
types the grades into the gradebook's own CSV file and imports it back.

The file is the gradebook's export: a ``username`` column and a column per assessment named as
the export names it ("Title (points)"); the export's other columns (name, category and total
percentages) are read-only and skipped. A blank cell changes nothing. Two steps, as for
enrolment: a dry run says what would change and what is wrong, with line numbers, writing
nothing; applying writes every change or none. Each changed grade is set by hand (it stands
against later automatic grading) and gets a history row whose source is the import.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from courses import imports
from courses.assessments import policies
from courses.assessments.gradebook import assessment_column
from courses.assessments.models import Assessment, Grade, GradeSource, GradeState
from courses.assessments.services.grades import _grade_change, _grade_locked
from courses.models import Cohort, Enrolment
from lms.accounts.models import User
from lms.errors import ApplicationError

FORMULA_PREFIXES = ("=", "+", "-", "@")
READ_ONLY_COLUMNS = ("name", "total %")


@dataclass
class GradeImportRow:
    line: int
    username: str
    changes: list[dict[str, Any]] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    student: User | None = field(default=None, repr=False)

    def refuse(self, column: str, message: str) -> None:
        self.errors.setdefault(column, []).append(message)

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "username": self.username,
            "changes": [
                {
                    "assessment": change["assessment"],
                    "title": change["title"],
                    "before": None if change["before"] is None else str(change["before"]),
                    "after": str(change["after"]),
                }
                for change in self.changes
            ],
            "errors": self.errors,
        }


@dataclass
class GradeImportReport:
    encoding: str
    applied: bool
    rows: list[GradeImportRow]

    @property
    def has_errors(self) -> bool:
        return any(row.errors for row in self.rows)

    def as_dict(self) -> dict[str, Any]:
        return {
            "encoding": self.encoding,
            "applied": self.applied,
            "changes": sum(len(row.changes) for row in self.rows),
            "errors": sum(1 for row in self.rows if row.errors),
            "rows": [row.as_dict() for row in self.rows if row.changes or row.errors],
        }


def _refused(message: str) -> ApplicationError:
    return ApplicationError("invalid_file", message, fields={"file": [message]})


def _column_name(name: str) -> str:
    """The header cell as the export wrote it: a formula-like title was kept as text with a
    leading apostrophe, which a spreadsheet may keep or drop."""
    if name.startswith("'") and name[1:2] in FORMULA_PREFIXES:
        return name[1:]
    return name


COLUMN_PATTERN = re.compile(r"^(?P<title>.*) \((?P<points>[0-9]+(?:[.,][0-9]+)?)\)$", re.DOTALL)


def _column_key(name: str) -> tuple[str, Decimal] | str:
    """ "Title (10.00)", "title (10)" and "Title (10,0)" name the same assessment."""
    match = COLUMN_PATTERN.match(name.strip())
    if match is None:
        return name.strip()
    return match["title"].strip(), Decimal(match["points"].replace(",", ".")).normalize()


def _columns(columns: list[str], assessments: list[Assessment]) -> dict[int, Assessment]:
    """The assessment of each column that holds grades, by the column's index."""
    by_name: dict[tuple[str, Decimal] | str, list[Assessment]] = {}
    for assessment in assessments:
        name = _column_key(assessment_column(assessment.title, assessment.points).lower())
        by_name.setdefault(name, []).append(assessment)
    if "username" not in columns or columns.count("username") > 1:
        raise _refused(_("The first line must have one column named username."))
    found: dict[int, Assessment] = {}
    unknown, ambiguous = [], []
    for index, raw in enumerate(columns):
        name = _column_name(raw)
        if name == "username" or name in READ_ONLY_COLUMNS or name.endswith(" %"):
            continue
        matches = by_name.get(_column_key(name), [])
        if len(matches) > 1:
            ambiguous.append(raw)
        elif not matches:
            unknown.append(raw)
        elif matches[0] in found.values():
            ambiguous.append(raw)
        else:
            found[index] = matches[0]
    if unknown:
        raise _refused(
            _(
                "These columns are not assessments of the class: %(columns)s. Start from the "
                "gradebook's CSV file and keep its column names."
            )
            % {"columns": ", ".join(unknown)}
        )
    if ambiguous:
        raise _refused(
            _(
                "These columns name more than one assessment, or one twice: %(columns)s. Give "
                "the assessments different titles first."
            )
            % {"columns": ", ".join(ambiguous)}
        )
    if not found:
        raise _refused(_("The file has no column of grades."))
    return found


def _points(text: str, assessment: Assessment) -> Decimal:
    try:
        points = Decimal(text.replace(",", ".").replace("\u00a0", "").replace(" ", ""))
    except InvalidOperation:
        raise ValueError(_("“%(value)s” is not a number.") % {"value": text}) from None
    if not points.is_finite() or not Decimal(0) <= points <= assessment.points:
        raise ValueError(_("Give between 0 and %(max)s points.") % {"max": assessment.points})
    return points.quantize(Decimal("0.01"))


def _plan(cohort: Cohort, parsed: imports.ParsedFile) -> list[GradeImportRow]:
    assessments = list(Assessment.objects.filter(cohort=cohort).order_by("due_at", "pk"))
    columns = _columns(parsed.columns, assessments)
    username_at = parsed.columns.index("username")
    pupils = {
        enrolment.student.username.lower(): enrolment.student
        for enrolment in Enrolment.objects.filter(cohort=cohort).select_related("student")
    }
    grades = {
        (grade.assessment_id, grade.student_id): grade.points
        for grade in Grade.objects.filter(assessment__cohort=cohort)
    }
    rows: list[GradeImportRow] = []
    seen: set[str] = set()
    for line, fields in parsed.rows:
        username = fields[username_at].strip() if username_at < len(fields) else ""
        row = GradeImportRow(line=line, username=username)
        rows.append(row)
        student = pupils.get(username.lower())
        if student is None:
            row.refuse("username", _("No pupil of this class has this username."))
            continue
        if username.lower() in seen:
            row.refuse("username", _("This pupil is already on an earlier line."))
            continue
        seen.add(username.lower())
        row.student = student
        for index, assessment in columns.items():
            text = fields[index].strip() if index < len(fields) else ""
            if not text:
                continue
            try:
                points = _points(text, assessment)
            except ValueError as error:
                row.refuse(parsed.columns[index], str(error))
                continue
            before = grades.get((assessment.pk, student.pk))
            if before != points:
                row.changes.append(
                    {
                        "assessment": assessment.pk,
                        "title": assessment.title,
                        "before": before,
                        "after": points,
                        "assessment_object": assessment,
                    }
                )
    return rows


def grades_import(
    *, cohort: Cohort, by: User, data: bytes, apply: bool, encoding: str | None = None,
    file_name: str = "",
) -> GradeImportReport:  # fmt: skip
    """Read a gradebook CSV file; with ``apply``, set every changed grade, or none if any line
    has an error. Importing the same file again changes nothing."""
    if not policies.can_manage_assessments(by, cohort):
        raise PermissionDenied
    if len(data) > imports.MAX_FILE_BYTES:
        raise _refused(_("The file is larger than 5 MB; split it into smaller files."))
    parsed = imports.csv_read(data, encoding)
    with transaction.atomic():
        if apply:
            # The plan's "before" must still hold when it is written: a marking or an override
            # of the class's grades committing meanwhile waits until the import is done.
            list(
                Grade.objects.select_for_update()
                .filter(assessment__cohort=cohort)
                .values_list("pk", flat=True)
            )
        rows = _plan(cohort, parsed)
        report = GradeImportReport(encoding=parsed.encoding, applied=False, rows=rows)
        if not apply or report.has_errors:
            return report
        reason = _("Imported from the file %(name)s.") % {"name": file_name or "CSV"}
        for row in rows:
            if row.student is None:
                continue  # a row without its pupil has an error, or nothing to change
            for change in row.changes:
                grade = _grade_locked(change["assessment_object"], row.student.pk)
                _grade_change(
                    grade,
                    points=change["after"],
                    source=GradeSource.IMPORT,
                    by=by,
                    reason=reason,
                    overridden=True,
                    state=GradeState.DRAFT,  # the teacher publishes imported grades
                )
        report.applied = True
    return report
