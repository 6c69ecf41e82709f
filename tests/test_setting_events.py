"""Quotas and groups of resources, the report's values and the public presentation are in the
record: each change writes its event in its own transaction (on both databases), a rolled-back
change leaves none; the manager's journal shows them all, an association's own quota and
presentation are news for it, the manager's own settings are nobody's notice."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from pole.db import db, utcnow
from pole.events import services as journal
from pole.events.models import Event
from pole.events.record import _listeners, listen
from pole.organisations.models import Organisation
from pole.public import services as public
from pole.quotas import admin
from pole.quotas.models import Quota, ResourceGroup
from pole.reports.models import ResourceValue
from pole.reports.services import values
from pole.resources.models import Site
from pole.timeutil import to_local
from tests.factories import make_organisation, make_resource, make_user


@pytest.fixture()
def world(app):
    hall = make_resource(name="Hall")
    office = make_resource(name="Bureau 1")
    restos = make_organisation(name="Restos du cœur")
    epis = make_organisation(name="Les 4 Épis")
    manager = make_user(is_manager=True, name="Nadia")
    coordinator = make_user(restos, role="coordinator", name="Awa")
    other = make_user(epis, role="coordinator", name="Bob")
    return hall, office, restos, manager, coordinator, other


def events(kind_prefix: str = "") -> list[Event]:
    db.session.rollback()  # what was committed, not what the session still holds
    query = db.select(Event).where(Event.kind.startswith(kind_prefix)).order_by(Event.id)
    return list(db.session.scalars(query))


def journal_lines(user) -> list[str]:  # noqa: ANN001
    db.session.rollback()
    return [line for _, line in journal.journal(user, journal.JournalFilters())[0]]


def notices(user) -> list[str]:  # noqa: ANN001
    db.session.rollback()
    return journal.notices_for(user, utcnow() + timedelta(seconds=1))


def quota(who: str, what: str, maximum: int = 20) -> admin.QuotaData:
    return admin.QuotaData(who=who, what=what, period="month", unit="hours", maximum=maximum)


def fail_on(pattern: str):  # noqa: ANN201
    """A listener that makes the change fail after its event was written."""

    @listen(pattern)
    def fail(event: Event) -> None:
        raise RuntimeError("the change fails after its event")

    return pattern, fail


# Quotas and groups ------------------------------------------------------------------------------


def test_an_associations_quota_created_changed_deleted_is_recorded_and_told_to_it(world):
    hall, _, restos, manager, coordinator, other = world
    quota_id = admin.save_quota(quota(f"org:{restos.id}", f"resource:{hall.id}"), None, manager)
    admin.save_quota(
        quota(f"org:{restos.id}", f"resource:{hall.id}", 30), quota_id, manager, utcnow()
    )
    admin.save_quota(quota(f"org:{restos.id}", f"resource:{hall.id}", 30), quota_id, manager)
    admin.delete_quota(quota_id, manager)

    recorded = events("quota.")
    assert [e.kind for e in recorded] == ["quota.created", "quota.changed", "quota.deleted"]
    assert {(e.organisation_id, e.resource_id, e.actor_id) for e in recorded} == {
        (restos.id, hall.id, manager.id)
    }
    assert {(e.subject_type, e.subject_id) for e in recorded} == {("quota", quota_id)}
    assert recorded[1].before["rule"] == "20 h par mois"
    assert recorded[1].after["rule"] == "30 h par mois"
    said = "Quota pour Restos du cœur dans « Hall » : 30 h par mois (avant : 20 h par mois)"
    assert any(line.startswith(said) for line in journal_lines(manager))
    assert any(line.startswith(said) for line in journal_lines(coordinator))
    assert any(line.startswith(said) for line in notices(coordinator))
    assert not any("Quota" in line for line in journal_lines(other) + notices(other))
    assert not any("Quota" in line for line in notices(manager))  # her own change


def test_a_default_quota_and_a_group_are_the_managers_own_settings(world):
    hall, office, _, manager, coordinator, _ = world
    group_id = admin.save_group("les salles", [hall.id], None, manager)
    admin.save_group("les salles", [hall.id, office.id], group_id, manager)
    admin.save_quota(quota("kind:association", f"group:{group_id}"), None, manager)
    admin.delete_group(group_id, manager)

    assert [e.kind for e in events("resource_group.")] == [
        "resource_group.created",
        "resource_group.changed",
        "resource_group.deleted",
    ]
    deleted = events("quota.deleted")
    assert len(deleted) == 1 and deleted[0].organisation_id is None
    assert deleted[0].before == {
        "who": "chaque association",
        "place": "dans les salles",
        "rule": "20 h par mois",
    }
    lines = journal_lines(manager)
    assert any(line.startswith("Groupe « les salles » (Hall et Bureau 1) changé par Nadia")
               for line in lines)  # fmt: skip
    assert any(line.startswith("Groupe « les salles » supprimé par Nadia") for line in lines)
    assert not any("Groupe" in line or "Quota" in line for line in notices(coordinator))
    assert not any("Groupe" in line or "Quota" in line for line in journal_lines(coordinator))


def test_a_quota_change_that_rolls_back_leaves_no_event_and_no_quota(world):
    hall, _, restos, manager, _, _ = world
    listener = fail_on("quota.*")
    try:
        with pytest.raises(RuntimeError):
            admin.save_quota(quota(f"org:{restos.id}", f"resource:{hall.id}"), None, manager)
    finally:
        _listeners.remove(listener)
    assert events("quota.") == []
    assert db.session.scalar(sa.select(sa.func.count(Quota.id))) == 0

    group_listener = fail_on("resource_group.*")
    try:
        with pytest.raises(RuntimeError):
            admin.save_group("les salles", [hall.id], None, manager)
    finally:
        _listeners.remove(group_listener)
    assert events("resource_group.") == []
    assert db.session.scalar(sa.select(sa.func.count(ResourceGroup.id))) == 0


# The report's values ----------------------------------------------------------------------------


def test_a_resource_value_is_in_the_journal_and_nobodys_notice(world):
    hall, _, _, manager, coordinator, _ = world
    today = to_local(utcnow(), hall.site.tz).date()
    data = values.ValueData(hall.id, today, per_hour=1250, per_half_day=None, per_day=7000)
    values.set_value(data, manager.id)
    (event,) = events("resource_value.")
    assert (event.resource_id, event.actor_id, event.organisation_id) == (hall.id, manager.id, None)
    assert event.after == {"valid_from": today.isoformat(), "per_hour": 1250,
                           "per_half_day": None, "per_day": 7000}  # fmt: skip
    assert any(line.startswith("Valeur de Hall à partir du ") and "12,50\u00a0€ l'heure" in line
               for line in journal_lines(manager))  # fmt: skip
    assert not any("Valeur" in line for line in notices(coordinator) + journal_lines(coordinator))

    listener = fail_on("resource_value.set")
    try:
        with pytest.raises(RuntimeError):
            values.set_value(values.ValueData(hall.id, today, 900, None, None), manager.id)
    finally:
        _listeners.remove(listener)
    assert len(events("resource_value.")) == 1
    kept = db.session.scalar(sa.select(ResourceValue).where(ResourceValue.resource_id == hall.id))
    assert kept.per_hour_cents == 1250


def test_a_refused_value_writes_no_event(world):
    hall, _, _, manager, _, _ = world
    today = to_local(utcnow(), hall.site.tz).date()
    values.set_value(values.ValueData(hall.id, today, 800, None, None), manager.id)
    yesterday = today - timedelta(days=1)  # a change never reaches back
    with pytest.raises(values.ValueRefused):
        values.set_value(values.ValueData(hall.id, yesterday, 900, None, None), manager.id)
    assert len(events("resource_value.")) == 1


# The public presentation ------------------------------------------------------------------------


def presentation(offer: str, shown: bool | None = None) -> public.PresentationData:
    return public.PresentationData("", offer, "", "", "", shown)


def test_a_presentation_and_its_showing_are_recorded_and_told_to_the_association(world):
    _, _, restos, manager, coordinator, other = world
    public.save_presentation(restos.id, presentation("Repas"), coordinator)
    public.save_presentation(restos.id, presentation("Repas", shown=True), manager)
    public.save_presentation(restos.id, presentation("Repas", shown=True), manager)  # no change
    public.save_presentation(restos.id, presentation("Repas chauds", shown=False), manager)

    recorded = events("public.")
    assert [(e.kind, e.actor_id) for e in recorded] == [
        ("public.presentation_changed", coordinator.id),
        ("public.shown", manager.id),
        ("public.presentation_changed", manager.id),
        ("public.hidden", manager.id),
    ]
    assert {e.organisation_id for e in recorded} == {restos.id}
    told = notices(coordinator)
    assert any(line.startswith("Présentation retirée de la page publique par Nadia")
               for line in told)  # fmt: skip
    assert not any("Présentation" in line for line in notices(other) + journal_lines(other))
    assert any(line.startswith("Présentation affichée sur la page publique par Nadia")
               for line in journal_lines(manager))  # fmt: skip


def test_directions_are_the_managers_own_and_a_failed_save_leaves_nothing(world):
    hall, _, restos, manager, coordinator, _ = world
    public.save_directions(hall.site_id, "Tram T2", manager)
    public.save_directions(hall.site_id, "Tram T2", manager)  # unchanged: nothing to record
    assert [e.kind for e in events("public.")] == ["public.directions_changed"]
    assert not any("Accès" in line for line in notices(coordinator))

    listener = fail_on("public.*")
    try:
        with pytest.raises(RuntimeError):
            public.save_presentation(restos.id, presentation("Repas", shown=True), manager)
        with pytest.raises(RuntimeError):
            public.save_directions(hall.site_id, "Bus 3", manager)
    finally:
        _listeners.remove(listener)
    assert len(events("public.")) == 1
    kept = db.session.get(Organisation, restos.id)
    assert (kept.public_offer, kept.public_shown) == ("", False)
    assert db.session.get(Site, hall.site_id).directions == "Tram T2"
