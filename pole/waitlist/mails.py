"""The one mail of the waiting list: the time you waited for is free, book it now."""

from __future__ import annotations

from pole.formatting import format_local, format_when
from pole.notifications import tell as notify
from pole.outbox.links import mail_url
from pole.timeutil import to_local

KIND = "notify_waitlist"


def booking_link(wish: object) -> str:
    """The booking form, filled with the time she waited for."""
    tz = wish.resource.site.tz
    start, end = to_local(wish.start, tz), to_local(wish.end, tz)
    args = {
        "resource_id": wish.resource_id,
        "organisation_id": wish.organisation_id,
        "date": start.date().isoformat(),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
    }
    if end.date() != start.date():
        args["end_date"] = end.date().isoformat()
    if wish.quantity > 1:
        args["quantity"] = wish.quantity
    return mail_url("bookings.new", **args)


def tell(wish: object) -> None:
    """Tell her the time is free (in the change's transaction), as she chose to be told of
    freed places: a mail now, an item of her digest, or nothing."""
    tz = wish.resource.site.tz
    when = format_when(wish.start, wish.end, tz)
    answer_by = format_local(wish.answer_by, tz)
    link = booking_link(wish)
    book = (
        f"Réservez-le ici :\n{link}\n"
        if link
        else "Réservez-le dans Pôle : Nouvelle réservation.\n"
    )
    text = (
        f"Bonne nouvelle : {wish.resource.name} s'est libéré pour {wish.organisation.name}, "
        f"{when}.\n\n"
        f"{book}\n"
        f"D'autres personnes attendent peut-être ce créneau : s'il n'est pas réservé "
        f"avant {answer_by}, la personne suivante sera prévenue.\n"
    )
    notify(wish.user, KIND, f"Créneau libéré : {wish.resource.name}", text)
