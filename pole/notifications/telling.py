"""Tell one person one thing, as they chose: a mail now, an item of tomorrow's digest, nothing."""

from __future__ import annotations

import html
from datetime import datetime

import sqlalchemy as sa

from pole.auth.models import User
from pole.db import change_time, db
from pole.notifications import rules
from pole.notifications.models import DigestItem, NotificationChoice
from pole.notifications.tokens import make_unsubscribe_token
from pole.outbox import queue_mail
from pole.outbox.links import mail_url
from pole.outbox.message import text_to_html

# Prepared once: asked under the write lock when a letter's mails were not all written (someone
# chose the digest or nothing), and by `tell` for the other mails.
_CHOSEN = sa.select(
    NotificationChoice.user_id, NotificationChoice.kind, NotificationChoice.choice
).where(
    NotificationChoice.user_id.in_(sa.bindparam("users", expanding=True)),
    NotificationChoice.kind.in_(sa.bindparam("kinds", expanding=True)),
)


def choices_for(wanted: set[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """How each of these (person, kind) is told (their choice, or the kind's default): one
    query, however many."""
    if not wanted:
        return {}
    users, kinds = sorted({u for u, _ in wanted}), sorted({k for _, k in wanted})
    # On the session's connection (the primary), without the ORM's execution: nothing the
    # session holds unflushed changes what people chose.
    rows = db.session.connection().execute(_CHOSEN, {"users": users, "kinds": kinds})
    chosen = {(user_id, kind): choice for user_id, kind, choice in rows}
    return {(u, k): rules.choice_of(k, chosen.get((u, k))) for u, k in wanted}


def told_each(kind: str, user: sa.BindParameter) -> sa.ColumnElement[bool]:
    """Whether the person `user` gets this kind each time, in SQL: `rules.choice_of` of their
    stored choice (kept only if the kind allows it, else the kind's default) is "each"."""
    kind = kind.removeprefix("notify_")
    allowed = rules.KINDS_BY_KEY[kind]
    chosen = (
        sa.select(NotificationChoice.choice)
        .where(
            NotificationChoice.user_id == user,
            NotificationChoice.kind == kind,
            NotificationChoice.choice.in_([sa.literal(c) for c in allowed.choices]),
        )
        .scalar_subquery()
    )
    return sa.func.coalesce(chosen, allowed.default) == rules.EACH


def choice_for(user_id: int, kind: str) -> str:
    """How this person gets this kind of mail (their choice, or the kind's default)."""
    return choices_for({(user_id, kind)})[user_id, kind]


def footer(user_id: int, kinds: list[str], why: str) -> tuple[str, str, str | None]:
    """The closing lines (text, HTML) of a notification and its one-click unsubscribe link.

    The link is left out for kinds that cannot be turned off.
    """
    can_stop = [k for k in kinds if rules.KINDS_BY_KEY[k].can_be_turned_off]
    token = make_unsubscribe_token(user_id, can_stop) if can_stop else None
    stop = mail_url("notifications.unsubscribe", token=token) if token else None
    page = mail_url("notifications.preferences")
    text = ["", "-- ", why]
    markup = [f"<p>{html.escape(why)}</p>"]
    if stop:
        text.append(f"Ne plus recevoir ces e-mails : {stop}")
        markup.append(f'<p><a href="{html.escape(stop)}">Ne plus recevoir ces e-mails</a></p>')
    text.append(f"Choisir ce que vous recevez : {page}")
    markup.append(f'<p><a href="{html.escape(page)}">Choisir ce que vous recevez</a></p>')
    return "\n".join(text) + "\n", "\n".join(markup), stop


def compose(
    user_id: int, name: str, kinds: list[str], subject: str, body: str, why: str
) -> tuple[str, str, str | None]:
    """A notification's text and HTML (greeting, body, footer) and its unsubscribe link."""
    closing, closing_html, stop = footer(user_id, kinds, why)
    text = f"Bonjour {name},\n\n{body.rstrip()}\n"
    return text + closing, text_to_html(text, closing_html, subject), stop


def why_told(kind: str) -> str:
    """The footer's first line: the person's choice that sent this mail."""
    label = rules.KINDS_BY_KEY[kind].label
    return f"Vous recevez cet e-mail selon vos choix de notifications (« {label} »)."


def write_mail(
    user: User,
    kinds: list[str],
    subject: str,
    body: str,
    why: str,
    *,
    outbox_kind: str,
    ics: str | None = None,
    ics_method: str | None = None,
    now: datetime | None = None,
) -> None:
    """One notification mail in the outbox: greeting, body, footer; text and HTML."""
    text, html, stop = compose(user.id, user.name, kinds, subject, body, why)
    queue_mail(
        user.email,
        subject,
        text,
        kind=outbox_kind,
        html=html,
        ics=ics,
        ics_method=ics_method,
        now=now,
        unsubscribe_url=stop,
    )


def tell(
    user: User,
    kind: str,
    subject: str,
    text: str,
    *,
    ics: str | None = None,
    ics_method: str | None = None,
    now: datetime | None = None,
) -> str:
    """Tell `user` something of `kind`, as they chose; returns "each", "digest" or "never".

    Call it inside the change's `write_transaction`, like `queue_mail` (it never commits):
    - `user`: a User; an inactive person is told nothing ("never").
    - `kind`: a key of `rules.KINDS`: "made", "changed", "waiting", "closure", "appointment",
      "reminder", "notice", "waitlist", "season" ("notify_waitlist" is read as "waitlist").
      The outbox row's kind is "notify_<kind>".
    - `subject`: the mail's subject. `text`: the body, French plain text, without greeting
      nor signature: tell adds "Bonjour <name>," and the footer (why this mail, the one-click
      unsubscribe link, the preferences page). Lines that begin with "- " are a list in the
      HTML part.
    - `ics`, `ics_method`: an invitation, attached when the mail leaves at once (a digest
      carries the text only).
    "each": an outbox row, with the List-Unsubscribe headers; "digest": a digest item, sent
    in the next daily digest; "never": nothing.
    """
    kind = kind.removeprefix("notify_")
    choice = choice_for(user.id, kind) if user.is_active else rules.NEVER
    if choice == rules.DIGEST:
        in_digest(user.id, kind, subject, text, now)
    elif choice == rules.EACH:
        write_mail(
            user, [kind], subject, text, why_told(kind),
            outbox_kind=f"notify_{kind}", ics=ics, ics_method=ics_method, now=now,
        )  # fmt: skip
    return choice


def in_digest(user_id: int, kind: str, subject: str, text: str, now: datetime | None) -> None:
    """An item of the person's next daily digest."""
    created_at = now or change_time()
    item = DigestItem(
        user_id=user_id, kind=kind, subject=subject[:300], text=text.rstrip(), created_at=created_at
    )
    db.session.add(item)
