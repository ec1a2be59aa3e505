from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class LmsConfig(AppConfig):
    name = "lms"
    verbose_name = "Mektep core"


class MektepAdminConfig(AdminConfig):
    default_site = "lms.accounts.admin_site.MektepAdminSite"
