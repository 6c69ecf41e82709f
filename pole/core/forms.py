"""Putting a service's reasons back onto the form they answer."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms import Form

from pole.core.refusals import Reason


def apply_reasons(form: Form, reasons: Iterable[Reason]) -> None:
    """Show each reason beside its field, or above the form when no shown field takes it.

    A reason names its field ("start", "organisation"); a select of rows may carry the
    name with "_id" ("organisation_id"). A form may hide some fields (`form.shows(name)`
    false): their reasons go above it.
    """
    shows = getattr(form, "shows", lambda _name: True)
    for reason in reasons:
        field = field_of(form, reason.field)
        if field is not None and shows(field.name):
            if reason.message not in field.errors:
                field.errors = [*field.errors, reason.message]
        else:
            form.form_errors.append(reason.message)


def field_of(form: Form, name: str):  # noqa: ANN201
    """The form field a reason names, or None for the whole form."""
    for candidate in (name, f"{name}_id") if name else ():
        if candidate in form:
            return form[candidate]
    return None
