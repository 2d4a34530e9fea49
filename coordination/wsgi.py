"""WSGI entry point for gunicorn: `gunicorn coordination.wsgi:app`."""

from coordination.app import create_app

app = create_app()
