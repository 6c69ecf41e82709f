"""The one mail of the noticeboard: a notice for you, from the building or your association."""

from __future__ import annotations

from pole.formatting import format_date
from pole.notifications import tell
from pole.outbox.links import mail_url

KIND = "notify_notice"


def send_notice(notice: object, person: object) -> None:
    """Tell one person of the notice (in the posting's transaction), as they chose to get
    notices: a mail now, an item of their digest, or nothing."""
    author = notice.author.name if notice.author is not None else "La gestion du bâtiment"
    link = f"\nÀ retrouver sur votre page d'accueil :\n{mail_url('main.home')}\n"
    text = (
        f"{author} a publié une annonce ({notice.audience_label}) :\n\n"
        f"{notice.title}\n\n{notice.text}\n\n"
        f"Annonce valable jusqu'au {format_date(notice.until)}.\n{link}"
    )
    tell(person, KIND, f"Annonce : {notice.title}", text)
