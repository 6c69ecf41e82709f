"""Forms of the sites pages: a site, where a manager or an organisation works, the picker."""

from __future__ import annotations

from zoneinfo import available_timezones

from wtforms import SelectChoice, SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, Length

from pole.auth.forms import strip_text
from pole.forms import Form
from pole.sites.fields import SiteField, SitesField

AT_MOST_120 = "120 caractères au plus."
_TIMEZONES = sorted(zone for zone in available_timezones() if "/" in zone)


class SiteForm(Form):
    name = StringField(
        "Nom",
        validators=[DataRequired("Indiquez le nom."), Length(max=120, message=AT_MOST_120)],
        filters=[strip_text],
    )
    address = StringField(
        "Adresse",
        validators=[Length(max=255, message="255 caractères au plus.")],
        filters=[strip_text],
    )
    directions = TextAreaField(
        "Comment venir", validators=[Length(max=2000, message="2 000 caractères au plus.")]
    )
    timezone = SelectField(
        "Fuseau horaire",
        choices=[SelectChoice(zone, zone) for zone in _TIMEZONES],
        default="Europe/Paris",
        validate_choice=False,
    )

    def validate_timezone(self, field: SelectField) -> None:
        if field.data not in _TIMEZONES:
            raise ValidationError("Choisissez un fuseau horaire de la liste.")


class SitesChoiceForm(Form):
    """Some sites among all, by checkbox; none checked means every site."""

    site_ids = SitesField("Sites")


class PickSiteForm(Form):
    """The site picker: which building the pages show."""

    site = SiteField("Site affiché")
    next = StringField()
