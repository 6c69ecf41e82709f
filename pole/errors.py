"""Error pages: a clear French answer, never a stack trace."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from pole.core.write_queue import WriteQueueTimeout
from pole.db import set_write_intent
from pole.htmx import render

MESSAGES = {
    400: ("Requête incorrecte", "La demande n'a pas pu être comprise."),
    403: ("Accès refusé", "Vous n'avez pas le droit de faire cela."),
    404: ("Page introuvable", "Cette page n'existe pas ou n'existe plus."),
    405: ("Action impossible", "Cette action n'est pas possible ici."),
    429: ("Trop de demandes", "Merci de patienter un instant avant de réessayer."),
    503: (
        "Service très sollicité",
        "Trop de réservations arrivent en même temps. Réessayez dans un instant.",
    ),
    500: ("Erreur du serveur", "Un problème est survenu de notre côté. Réessayez plus tard."),
}


def _page(status: int, detail: str | None = None):
    title, message = MESSAGES.get(status, MESSAGES[400])
    return render(
        "error.html", block="content", status=status, title=title, message=detail or message
    )


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):  # noqa: ANN202
        return _page(
            400,
            "Le formulaire a expiré ou n'est pas valide. Rechargez la page puis recommencez.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # noqa: ANN202
        if error.code is None or error.code < 400:
            return error
        response = _page(error.code)
        if error.code == 405 and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(WriteQueueTimeout)
    def write_queue_timeout(_error: WriteQueueTimeout):  # noqa: ANN202
        from pole.extensions import db

        # Nothing was written; the page is rendered without asking for the write lock again.
        db.session.rollback()
        set_write_intent(False)
        response = _page(503)
        response.headers["Retry-After"] = "2"
        return response

    @app.errorhandler(500)
    def server_error(_error: Exception):  # noqa: ANN202
        from pole.extensions import db

        db.session.rollback()
        return _page(500)
