"""The buildings' changes are in the record: creating or changing a site, limiting a manager to
some sites, saying where an organisation works each write one event in their own transaction
(on both databases), said in French in the manager's journal; a refused form writes none."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from pole.db import db
from pole.events import services as journal
from pole.events.models import Event
from pole.events.record import _listeners, listen
from pole.events.wording import Entry, journal_sentence
from pole.resources.models import Site
from pole.sites import services as sites
from pole.sites.models import OrganisationSite
from tests.factories import errors_beside, make_organisation, make_site, make_user, page_text


@pytest.fixture()
def city(app):
    epis = make_site(name="Les 4 Épis", address="1 rue des Épis")
    centre = make_site(name="Centre de jour", address="5 quai du Furan")
    return SimpleNamespace(
        epis=epis,
        centre=centre,
        restos=make_organisation(name="Restos du cœur", short_name="Restos"),
        manager=make_user(name="Nadia Gestion", is_manager=True),
        chloe=make_user(name="Chloé Centre", is_manager=True),
    )


def events(prefix: str = "site.") -> list[Event]:
    db.session.rollback()  # what was committed, not what the session still holds
    query = db.select(Event).where(Event.kind.startswith(prefix)).order_by(Event.id)
    return list(db.session.scalars(query))


def journal_lines(user, **filters) -> list[str]:  # noqa: ANN001, ANN003
    db.session.rollback()
    return [line for _, line in journal.journal(user, journal.JournalFilters(**filters))[0]]


SITE_FORM = {
    "name": "Maison des associations",
    "address": "3 place Carnot",
    "timezone": "Europe/Paris",
    "directions": "Entrée côté cour.",
}


def test_a_new_site_is_recorded_with_who_added_it(app, city, client, login_as):
    login_as(city.manager)
    assert client.post("/sites/nouveau", data=SITE_FORM).status_code == 302
    (event,) = events()
    site = db.session.scalar(db.select(Site).where(Site.name == SITE_FORM["name"]))
    assert (event.kind, event.actor_id, event.subject_type, event.subject_id) == (
        "site.created",
        city.manager.id,
        "site",
        site.id,
    )
    assert event.after["address"] == "3 place Carnot"
    assert journal_lines(city.manager)[0].startswith(
        "Site « Maison des associations » ajouté par Nadia Gestion le "
    )


def test_a_changed_site_keeps_before_and_after(app, city, client, login_as):
    login_as(city.manager)
    data = {**SITE_FORM, "name": "Les 4 Épis", "address": "2 rue des Épis"}
    assert client.post(f"/sites/{city.epis.id}/modifier", data=data).status_code == 302
    (event,) = events()
    assert event.kind == "site.changed"
    assert (event.before["address"], event.after["address"]) == ("1 rue des Épis", "2 rue des Épis")
    line = journal_lines(city.manager, actor_id=city.manager.id)[0]
    assert line.startswith(
        "Site « Les 4 Épis » modifié (adresse : « 1 rue des Épis » → « 2 rue des Épis », "
        "accès modifié) par Nadia Gestion le "
    )


def test_saving_a_site_unchanged_writes_nothing(app, city, client, login_as):
    login_as(city.manager)
    data = {"name": "Les 4 Épis", "address": "1 rue des Épis", "timezone": "Europe/Paris"}
    assert client.post(f"/sites/{city.epis.id}/modifier", data=data).status_code == 302
    assert events() == []


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/sites/nouveau", {**SITE_FORM, "name": ""}),
        ("/sites/nouveau", {**SITE_FORM, "timezone": "Mars/Olympus"}),
        ("EDIT", {**SITE_FORM, "name": ""}),
        ("MANAGER", {"site_ids": ["999999"]}),
        ("ORGANISATION", {"site_ids": ["abc"]}),
    ],
    ids=["new-no-name", "new-bad-zone", "edit-no-name", "manager-unknown", "organisation-bad"],
)
def test_a_refused_form_writes_no_event(app, city, client, login_as, path, data):
    login_as(city.manager)
    path = {
        "EDIT": f"/sites/{city.epis.id}/modifier",
        "MANAGER": f"/sites/responsables/{city.chloe.id}",
        "ORGANISATION": f"/sites/organisations/{city.restos.id}",
    }.get(path, path)
    assert client.post(path, data=data).status_code == 422
    assert events() == []


def test_limiting_a_manager_is_recorded_and_said_with_their_name(app, city, client, login_as):
    login_as(city.manager)
    posted = client.post(
        f"/sites/responsables/{city.chloe.id}", data={"site_ids": [city.centre.id]}
    )
    assert posted.status_code == 302
    (event,) = events()
    assert (event.kind, event.subject_type, event.subject_id) == (
        "site.managers_limited",
        "manager",
        city.chloe.id,
    )
    assert (event.before["site_ids"], event.after["site_ids"]) == ([], [city.centre.id])
    assert journal_lines(city.manager)[0].startswith(
        "Sites gérés par Chloé Centre : Centre de jour (avant : tous les sites), "
        "changés par Nadia Gestion le "
    )


def test_where_an_organisation_works_is_recorded_and_filtered_by_organisation(
    app, city, client, login_as
):
    login_as(city.manager)
    url = f"/sites/organisations/{city.restos.id}"
    assert client.post(url, data={"site_ids": [city.epis.id]}).status_code == 302
    # Every site ticked means every site: a change back, recorded as such.
    assert client.post(url, data={"site_ids": [city.epis.id, city.centre.id]}).status_code == 302
    first, second = events()
    assert first.organisation_id == second.organisation_id == city.restos.id
    assert (first.before["sites"], first.after["sites"]) == ([], ["Les 4 Épis"])
    assert (second.before["sites"], second.after["sites"]) == (["Les 4 Épis"], [])
    lines = journal_lines(city.manager, organisation_id=city.restos.id)
    assert lines[1].startswith(
        "Sites où travaille Restos du cœur : Les 4 Épis (avant : tous les sites), changés par "
    )
    assert lines[0].startswith(
        "Sites où travaille Restos du cœur : tous les sites (avant : Les 4 Épis), changés par "
    )
    assert journal_lines(city.manager, organisation_id=make_organisation().id) == []


def test_the_journal_page_shows_the_site_changes(app, city, client, login_as):
    login_as(city.manager)
    client.post(f"/sites/responsables/{city.chloe.id}", data={"site_ids": [city.centre.id]})
    page = client.get(f"/journal?actor_id={city.manager.id}")
    assert page.status_code == 200
    assert "Sites gérés par Chloé Centre : Centre de jour" in page.get_data(as_text=True)


@pytest.fixture()
def failing_site_events():
    @listen("site.*")
    def fail(event: Event) -> None:
        raise RuntimeError("the change fails after its event")

    yield
    _listeners.remove(("site.*", fail))


def test_a_site_change_that_rolls_back_leaves_no_event_and_no_change(
    app, city, failing_site_events
):
    with pytest.raises(RuntimeError):
        sites.set_organisation_sites(city.restos.id, {city.centre.id}, city.manager)
    with pytest.raises(RuntimeError):
        sites.save_site(sites.SiteData("Autre nom", "", "", "Europe/Paris"), city.epis.id)
    assert events() == []
    assert db.session.scalars(db.select(OrganisationSite)).all() == []
    assert db.session.get(Site, city.epis.id).name == "Les 4 Épis"


# Bad input on the sites forms is answered in French, beside the field ---------------------------

# WTForms' own messages, as they read when its French catalogue is not loaded.
ENGLISH = re.compile(
    r"Not a valid|This field|Field (must|cannot)|Invalid|required|could not|must be|choice",
    re.IGNORECASE,
)


@pytest.mark.parametrize(
    ("path", "data", "field_ids"),
    [
        (
            "/sites/nouveau",
            {"name": "x" * 121, "address": "y" * 256, "timezone": "Mars", "directions": "z" * 2001},
            ["name", "address", "timezone", "directions"],
        ),
        ("/sites/nouveau", {"name": "  ", "timezone": ""}, ["name", "timezone"]),
        ("MANAGER", {"site_ids": ["abc"]}, ["site_ids"]),
        ("MANAGER", {"site_ids": ["999999"]}, ["site_ids"]),
        ("ORGANISATION", {"site_ids": ["1", "deux"]}, ["site_ids"]),
        ("/sites/choisir", {"site": "abc", "next": "/"}, ["site"]),
        ("/sites/choisir", {"next": "/"}, ["site"]),
    ],
    ids=[
        "too-long",
        "blank",
        "manager-unreadable",
        "manager-unknown",
        "organisation",
        "pick",
        "none",
    ],
)
def test_bad_input_on_the_sites_forms_is_refused_in_french(
    app, city, client, login_as, path, data, field_ids, monkeypatch
):
    # Without WTForms' catalogue its own messages would be English: every message is ours.
    # monkeypatch puts the setting back: the app is shared with the tests that follow.
    monkeypatch.setitem(app.config, "WTF_I18N_ENABLED", False)
    login_as(city.manager)
    path = {
        "MANAGER": f"/sites/responsables/{city.chloe.id}",
        "ORGANISATION": f"/sites/organisations/{city.restos.id}",
    }.get(path, path)
    response = client.post(path, data=data)
    assert response.status_code == 422
    for field_id in field_ids:
        messages = errors_beside(response, field_id)
        assert messages, field_id
        assert not [m for m in messages if ENGLISH.search(m)]
    assert not ENGLISH.search(
        " ".join(re.findall(r'class="errors"[^>]*>(.*?)</ul>', page_text(response), re.DOTALL))
    )


# The wording alone (pure) -------------------------------------------------------------------------

PARIS = ZoneInfo("Europe/Paris")
AT = datetime(2026, 12, 3, 9, 12, tzinfo=UTC)  # 10:12 in Paris
SITE = {"name": "Les 4 Épis", "address": "", "timezone": "Europe/Paris", "directions": ""}


@pytest.mark.parametrize(
    ("entry", "sentence"),
    [
        (
            Entry("site.created", AT, PARIS, "Nadia", after=SITE),
            "Site « Les 4 Épis » ajouté par Nadia le 3 déc. à 10:12",
        ),
        (
            Entry(
                "site.changed",
                AT,
                PARIS,
                "Nadia",
                before=SITE,
                after={**SITE, "name": "Pôle des 4 Épis", "timezone": "America/Cayenne"},
            ),
            "Site « Pôle des 4 Épis » modifié (nom : « Les 4 Épis » → « Pôle des 4 Épis », "
            "fuseau horaire : « Europe/Paris » → « America/Cayenne ») par Nadia le 3 déc. à 10:12",
        ),
        (
            Entry(
                "site.changed",
                AT,
                PARIS,
                None,
                before=SITE,
                after={**SITE, "address": "1 rue des Épis"},
            ),
            "Site « Les 4 Épis » modifié (adresse : « — » → « 1 rue des Épis ») "
            "automatiquement le 3 déc. à 10:12",
        ),
        (
            Entry(
                "site.managers_limited",
                AT,
                PARIS,
                "Nadia",
                before={"site_ids": [1, 2], "sites": ["Les 4 Épis", "Centre de jour"]},
                after={"site_ids": [], "sites": [], "user_id": 7},
                person="Chloé",
            ),
            "Sites gérés par Chloé : tous les sites (avant : Les 4 Épis et Centre de jour), "
            "changés par Nadia le 3 déc. à 10:12",
        ),
        (
            Entry(
                "site.organisation_sites",
                AT,
                PARIS,
                "Nadia",
                before={"site_ids": [], "sites": []},
                after={"site_ids": [2], "sites": ["Centre de jour"]},
                organisation="Amicale",
            ),
            "Sites où travaille Amicale : Centre de jour (avant : tous les sites), "
            "changés par Nadia le 3 déc. à 10:12",
        ),
    ],
    ids=["created", "renamed-and-zone", "address-by-nobody", "manager-unlimited", "organisation"],
)
def test_site_changes_are_said_in_french(entry, sentence):
    assert journal_sentence(entry) == sentence
