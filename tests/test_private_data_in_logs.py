"""Beneficiary data never reaches a log nor an error page, even when the database fails.

An appointment carries at most a file reference and a short note about the family. When
its insert fails, the database driver's error, SQLAlchemy's message and Flask's traceback
would all be logged; none may carry them. Both databases, through the HTTP client.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from pole import create_app
from pole.db import db, utcnow
from pole.permanences.models import Appointment
from tests.test_permanences import PARIS, World, booking_form, build_world, slot_url

REF, NOTE = "DOS-77341", "Menacée d'expulsion, voir le bailleur Sarrazin"
FORMATTER = logging.Formatter("%(levelname)s %(name)s: %(message)s")

TRIGGER = {
    # A trigger that refuses the row, as a full disk or a lost lock would.
    "sqlite": (
        [
            "CREATE TRIGGER refuse_appointment BEFORE INSERT ON appointment "
            "BEGIN SELECT RAISE(ABORT, 'insertion refusée (test)'); END"
        ],
        ["DROP TRIGGER IF EXISTS refuse_appointment"],
    ),
    "postgresql": (
        [
            "CREATE FUNCTION refuse_appointment() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'insertion refusée (test)'; END $$",
            "CREATE TRIGGER refuse_appointment BEFORE INSERT ON appointment "
            "FOR EACH ROW EXECUTE FUNCTION refuse_appointment()",
        ],
        [
            "DROP TRIGGER IF EXISTS refuse_appointment ON appointment",
            "DROP FUNCTION IF EXISTS refuse_appointment()",
        ],
    ),
}
# A constraint every row breaks: PostgreSQL's own message then quotes the whole row
# ("DETAIL: Failing row contains (...)"), hidden parameters or not.
CHECK_CONSTRAINT = (
    ["ALTER TABLE appointment ADD CONSTRAINT ck_refuse_all CHECK (id < 0) NOT VALID"],
    ["ALTER TABLE appointment DROP CONSTRAINT IF EXISTS ck_refuse_all"],
)


@pytest.fixture()
def world(app) -> World:
    """A permanence three days from today: the screens use the real clock."""
    today = datetime.now(PARIS).date()
    return build_world(utcnow(), today + timedelta(days=3), until=today + timedelta(days=40))


@contextmanager
def refused_inserts(setup: list[str], teardown: list[str]) -> Iterator[None]:
    """The appointment table refuses every insert, for the duration of the block."""
    db.session.rollback()  # no lock of ours may wait on the DDL
    with db.engine.begin() as connection:
        for statement in setup:
            connection.exec_driver_sql(statement)
    try:
        yield
    finally:
        db.session.rollback()
        with db.engine.begin() as connection:
            for statement in teardown:
                connection.exec_driver_sql(statement)


def every_logged_text(records: list[logging.LogRecord]) -> list[str]:
    """Each record as a handler writes it, its traceback included."""
    return [FORMATTER.format(record) for record in records]


def book_and_fail(app, client, world: World, caplog, monkeypatch, error: str) -> None:  # noqa: ANN001
    """Book a slot with a reference and a note while the insert fails; no trace of either."""
    # As in production: the error is logged and answered with the error page, not raised.
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")

    response = client.post(
        slot_url(world, world.at(14)),
        data=booking_form(world, world.restos, beneficiary_ref=REF, note=NOTE),
    )

    assert response.status_code == 500
    assert "Un problème est survenu de notre côté" in response.get_data(as_text=True)
    logged = every_logged_text(caplog.records)
    failures = [text for text in logged if error in text and "Traceback" in text]
    assert failures, "the database error is logged, with its traceback"
    for text in [*logged, caplog.text, response.get_data(as_text=True)]:
        assert REF not in text
        assert NOTE not in text
        assert "Sarrazin" not in text
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Appointment)) == 0


def test_a_failing_appointment_insert_logs_neither_the_reference_nor_the_note(
    app, backend, client, login_as, world, caplog, monkeypatch
):
    login_as(world.alice)
    with refused_inserts(*TRIGGER[backend]):
        book_and_fail(app, client, world, caplog, monkeypatch, "insertion refusée (test)")


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_row_quoted_by_postgresql_in_its_error_reaches_no_log(
    app, client, login_as, world, caplog, monkeypatch
):
    login_as(world.alice)
    with refused_inserts(*CHECK_CONSTRAINT):
        book_and_fail(app, client, world, caplog, monkeypatch, "ck_refuse_all")


def test_a_booked_appointment_read_back_with_the_debug_log_on_leaves_no_trace(
    app, client, login_as, world, caplog
):
    # echo="debug": SQLAlchemy logs every statement and every row it reads.
    login_as(world.alice)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")

    response = client.post(
        slot_url(world, world.at(14)),
        data=booking_form(world, world.restos, beneficiary_ref=REF, note=NOTE),
    )
    login_as(world.social_worker)
    page = client.get("/permanences/")

    assert response.status_code == 302
    assert page.status_code == 200
    logged = every_logged_text(caplog.records)
    assert any("INSERT INTO appointment" in text for text in logged)
    for text in [*logged, caplog.text]:
        assert REF not in text
        assert NOTE not in text
        assert "Sarrazin" not in text
    assert any(text.endswith("Row (values hidden)") for text in logged)
    db.session.rollback()
    assert db.session.scalar(sa.select(Appointment.note)) == NOTE


def test_statement_values_stay_hidden_when_a_deployment_passes_its_own_engine_options(
    tmp_path,
):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'own-options.db'}",
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 2, "hide_parameters": False},
        }
    )
    with app.app_context():
        assert db.engine.hide_parameters is True
        assert db.engine.pool.size() == 2
        with pytest.raises(sa.exc.OperationalError) as raised, db.engine.connect() as connection:
            connection.execute(sa.text("SELECT * FROM nowhere WHERE x = :x"), {"x": REF})
        assert REF not in str(raised.value)
        db.engine.dispose()
