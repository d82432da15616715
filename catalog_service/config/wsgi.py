"""WSGI entry point: `gunicorn -c python:servicekit.gunicorn_conf config.wsgi`."""

from servicekit.wsgi import application as _application

application = _application("config.settings")
