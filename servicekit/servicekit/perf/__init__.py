"""The performance layer: every piece of the services that reaches into a library's
internals, in one place, pinned to the versions it was tested on (README.md beside this).

Nothing is imported here: ``servicekit.gunicorn_conf`` imports ``gunicorn_hooks`` before
gevent's monkey-patching may run, and must not pull in gthread's threading with it.
"""
