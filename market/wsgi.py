"""The gunicorn target: `gunicorn market.wsgi:app`."""

from market import create_app

app = create_app()
