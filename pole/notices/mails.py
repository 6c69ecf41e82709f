"""The one mail of the noticeboard: a notice for you, from the building or your association."""

from __future__ import annotations

from flask import current_app, has_request_context, url_for

from pole.formatting import format_date
from pole.outbox import queue_mail

KIND = "notify_notice"


def send_notice(notice: object, person: object) -> None:
    """Queue the notice's mail to one person (in the posting's transaction).

    The one place this mail is written: per-person mail preferences can route it here.
    """
    author = notice.author.name if notice.author is not None else "La gestion du bâtiment"
    link = ""
    if has_request_context() or current_app.config.get("SERVER_NAME"):
        link = f"\nÀ retrouver sur votre page d'accueil :\n{url_for('main.home', _external=True)}\n"
    text = (
        f"Bonjour {person.name},\n\n"
        f"{author} a publié une annonce ({notice.audience_label}) :\n\n"
        f"{notice.title}\n\n{notice.text}\n\n"
        f"Annonce valable jusqu'au {format_date(notice.until)}.\n{link}"
    )
    queue_mail(person.email, f"Annonce : {notice.title}", text, kind=KIND)
