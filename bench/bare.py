"""A bare Flask app with one small page: the floor no page of Pôle can go below here."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)

PAGE = (
    '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Pôle</title></head>'
    "<body><p>Bonjour</p></body></html>"
)


@app.get("/")
def index() -> str:
    """Say hello, and nothing else."""
    return PAGE
