from typing import Any

from django.core.management.base import BaseCommand

from lms.accounts.demo import DEMO_PASSWORD, demo_load


class Command(BaseCommand):
    help = "Load the demo region, schools and people (idempotent; refused in production)."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = demo_load()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {counts['schools']} schools, {counts['people']} people "
                f"({counts['created']} new). Password for every demo account: {DEMO_PASSWORD}"
            )
        )
