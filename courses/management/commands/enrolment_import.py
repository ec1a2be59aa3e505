"""Enrol pupils into a class from a CSV file, from the shell: a dry run unless --apply."""

from pathlib import Path
from typing import Any, TextIO, cast

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from courses import imports, selectors
from lms.accounts.models import User
from lms.errors import ApplicationError

STAGES = {
    "plan": gettext_lazy("Checking rows"),
    "passwords": gettext_lazy("Setting passwords"),
    "enrol": gettext_lazy("Enrolling"),
}


class Command(BaseCommand):
    help = (
        "Enrol pupils into a class from a CSV file (columns: username, first_name, last_name, "
        "school, email, password). Without --apply, a dry run that writes nothing. Exits with "
        "status 1 if any row has an error."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("class_id", type=int, help="The class's id.")
        parser.add_argument("file", type=Path, help="The CSV file.")
        parser.add_argument(
            "--by", required=True, help="Username of the administrator doing the import."
        )
        parser.add_argument(
            "--apply", action="store_true", help="Write: all rows, or none if any has an error."
        )
        parser.add_argument(
            "--encoding",
            choices=tuple(imports.ENCODINGS),
            help="The file's encoding; without it, UTF-8 is tried, then Windows-1251.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        by = User.objects.filter(username__iexact=options["by"], is_active=True).first()
        if by is None:
            raise CommandError(_("No active person has the username %s.") % options["by"])
        cohort = selectors.cohort_list_visible(user=by).filter(pk=options["class_id"]).first()
        if cohort is None:
            raise CommandError(
                _("%(by)s sees no class with the id %(id)d.")
                % {
                    "by": by.username,
                    "id": options["class_id"],
                }
            )
        try:
            data = options["file"].read_bytes()
        except OSError as error:
            raise CommandError(str(error)) from error

        # Progress goes to stderr, the report to stdout (which can then be saved or piped).
        self.stderr.ending = ""
        console = Console(file=cast(TextIO, self.stderr))
        bars: dict[str, TaskID] = {}
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
        ) as progress:

            def advance(stage: str, done: int, total: int) -> None:
                if stage not in bars:
                    bars[stage] = progress.add_task(str(STAGES.get(stage, stage)), total=total)
                progress.update(bars[stage], completed=done, total=total)

            try:
                report = imports.enrolment_import(
                    cohort=cohort,
                    by=by,
                    data=data,
                    encoding=options["encoding"],
                    apply=options["apply"],
                    progress=advance,
                )
            except PermissionDenied as error:
                raise CommandError(
                    _("%s cannot enrol pupils in this class.") % by.username
                ) from error
            except ApplicationError as error:
                raise CommandError(error.message) from error
        self._report(report, every_row=options["verbosity"] >= 2)
        if report.has_errors:
            raise CommandError(_("Some rows have errors; nothing was written."), returncode=1)

    def _report(self, report: imports.ImportReport, *, every_row: bool) -> None:
        for row in report.rows:
            # Generated passwords are shown once, here: nobody can read them back later.
            if not (every_row or row.errors or row.password):
                continue
            parts = [_("line %(line)d") % {"line": row.line}, row.username or "-", row.action]
            if row.password:
                parts.append(_("password: %(password)s") % {"password": row.password})
            parts.extend(
                f"{column}: {message}"
                for column, messages in row.errors.items()
                for message in messages
            )
            self.stdout.write("  ".join(parts))
        counts = report.counts
        summary = _(
            "Encoding %(encoding)s. To create: %(create)d, to enrol: %(enrol)d, already "
            "enrolled: %(already_enrolled)d, errors: %(error)d."
        ) % {"encoding": report.encoding, **counts}
        self.stdout.write(summary)
        if report.applied:
            self.stdout.write(self.style.SUCCESS(_("Applied: the rows above are written.")))
        elif report.mode == "dry-run" and not report.has_errors:
            self.stdout.write(_("Dry run: nothing was written. Run again with --apply."))
