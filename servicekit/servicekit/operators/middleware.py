"""The admin's middleware, run for the admin's requests only.

Sessions, authentication, messages and the sign-in throttle are what Django's admin needs;
the API needs none of them (bearer tokens, no cookies), and on every API request they cost
about 130 Python calls (cProfile, a discount read: 1253 calls a request without them, 1382
with them). So they run as a chain of their own, built once as Django builds its own
(each middleware wrapping the next), for paths under /admin/ only.
"""

from __future__ import annotations

from django.utils.module_loading import import_string

from servicekit.middleware import ADMIN_PREFIX

ADMIN_CHAIN = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Last: it answers a locked-out sign-in (the login throttle).
    "axes.middleware.AxesMiddleware",
]


class AdminMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        handler = get_response
        for path in reversed(ADMIN_CHAIN):
            handler = import_string(path)(handler)
        self.admin = handler

    def __call__(self, request):
        if request.path_info.startswith(ADMIN_PREFIX):
            return self.admin(request)
        return self.get_response(request)
