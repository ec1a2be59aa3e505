import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_healthz_reports_each_dependency(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"database", "redis", "celery"}
