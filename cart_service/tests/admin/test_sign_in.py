"""Signing in to the operators' console: a throttle on failures (django-axes), sessions kept
apart per service."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"


def sign_in(browser: Client, password: str):
    return browser.post(LOGIN, {"username": "ada", "password": password})


def test_an_operator_signs_in_with_a_password(settings):
    User.objects.create_user("ada", password="right-password", is_staff=True)
    browser = Client()

    signed_in = sign_in(browser, "right-password")

    assert signed_in.status_code == 302
    assert settings.SESSION_COOKIE_NAME == "cart_service_session"
    assert "cart_service_session" in browser.cookies


def test_after_too_many_failures_even_the_right_password_is_refused(settings):
    User.objects.create_user("ada", password="right-password", is_staff=True)
    browser = Client()

    failures = [sign_in(browser, f"guess-{n}") for n in range(settings.AXES_FAILURE_LIMIT)]
    locked = sign_in(browser, "right-password")

    assert [f.status_code for f in failures[:-1]] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert locked.status_code == 429
    assert "cart_service_session" not in browser.cookies
    assert browser.get("/admin/").status_code == 302  # still signed out: to the login page


def test_the_apis_requests_run_none_of_the_admins_middleware(rf):
    from django.http import HttpResponse

    from servicekit.operators.middleware import AdminMiddleware

    seen = {}

    def view(request):
        seen[request.path] = (hasattr(request, "session"), hasattr(request, "user"))
        return HttpResponse()

    middleware = AdminMiddleware(view)
    middleware(rf.get("/api/carts/"))
    middleware(rf.get("/admin/"))

    assert seen == {"/api/carts/": (False, False), "/admin/": (True, True)}
