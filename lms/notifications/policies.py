"""Who may see which notices and deliveries.

A person sees and marks only their own notifications. The failed deliveries are for
administrators, within what they administer: a school administrator their school's people, a
region administrator their region's, the platform administrator everyone.
"""

from typing import Any

from lms.accounts import policies as accounts_policies
from lms.notifications.models import Delivery


def can_view_failures(user: Any) -> bool:
    return (
        accounts_policies.is_platform_admin(user)
        or accounts_policies.is_region_admin(user)
        or accounts_policies.is_school_admin(user)
    )


def can_resend(user: Any, delivery: Delivery) -> bool:
    if not can_view_failures(user):
        return False
    person = delivery.notification.recipient
    if accounts_policies.is_platform_admin(user):
        return True
    if accounts_policies.is_region_admin(user):
        return person.school is not None and person.school.region_id == user.region_id
    return person.school_id is not None and person.school_id == user.school_id
