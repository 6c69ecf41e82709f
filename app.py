"""Entry point for `flask --app app` and `gunicorn app:app`."""

from pole import create_app

app = create_app()
