"""Too many failed logins make an account, or a client address, wait: on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pole.auth import services
from pole.auth.models import LoginThrottle
from pole.auth.throttle import TooManyAttempts
from pole.db import db
from tests.factories import PASSWORD, make_user, page_text

NOW = datetime(2026, 12, 8, 9, 40, tzinfo=UTC)
HOME = "192.0.2.10"
WRONG = "pas-le-bon-mot-de-passe"
WRONG_LOGIN = "Adresse e-mail ou mot de passe incorrect."
TOO_MANY = "Trop de tentatives de connexion."


def fail(email: str, times: int, at: datetime = NOW, address: str = HOME) -> None:
    for _ in range(times):
        assert services.attempt_login(email, WRONG, address, now=at) is None


def log_in(email: str, at: datetime, address: str = HOME, password: str = PASSWORD):  # noqa: ANN201
    return services.attempt_login(email, password, address, now=at)


@pytest.fixture()
def argon2_checks(monkeypatch) -> list[str]:  # noqa: ANN001
    """Count the password checks (the real ones still run)."""
    calls: list[str] = []
    real = services.verify_password

    def counted(password_hash, password):  # noqa: ANN001, ANN202
        calls.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(services, "verify_password", counted)
    return calls


def test_after_five_failures_even_the_right_password_waits_30_seconds(app, argon2_checks):
    marie = make_user(email="marie@exemple.fr")
    fail("marie@exemple.fr", 5)

    with pytest.raises(TooManyAttempts) as refused:
        log_in("marie@exemple.fr", NOW + timedelta(seconds=29))

    assert refused.value.retry_at == NOW + timedelta(seconds=30)
    assert refused.value.message.endswith("réessayez dans 1 seconde.")
    assert len(argon2_checks) == 5  # the refused attempt never reached argon2
    assert log_in("marie@exemple.fr", NOW + timedelta(seconds=30)).id == marie.id


def test_each_failure_past_five_doubles_the_wait(app):
    make_user(email="marie@exemple.fr")
    fail("marie@exemple.fr", 5)
    fail("marie@exemple.fr", 1, at=NOW + timedelta(seconds=30))

    with pytest.raises(TooManyAttempts) as refused:
        log_in("marie@exemple.fr", NOW + timedelta(seconds=31))

    assert refused.value.retry_at == NOW + timedelta(seconds=90)
    assert refused.value.message.endswith("réessayez dans 59 secondes.")


def test_refused_attempts_do_not_make_the_wait_longer(app):
    marie = make_user(email="marie@exemple.fr")
    fail("marie@exemple.fr", 5)
    for second in range(1, 30):
        with pytest.raises(TooManyAttempts):
            log_in("marie@exemple.fr", NOW + timedelta(seconds=second))

    assert log_in("marie@exemple.fr", NOW + timedelta(seconds=30)).id == marie.id


def test_logging_in_wipes_the_account_counter(app):
    make_user(email="marie@exemple.fr")
    fail("marie@exemple.fr", 4)
    assert log_in("marie@exemple.fr", NOW) is not None

    fail("marie@exemple.fr", 4, at=NOW + timedelta(seconds=1))

    assert log_in("marie@exemple.fr", NOW + timedelta(seconds=2)) is not None


def test_an_unknown_address_is_throttled_exactly_like_a_known_one(app, argon2_checks):
    make_user(email="marie@exemple.fr")
    for email in ("marie@exemple.fr", "inconnue@exemple.fr"):
        fail(email, 5)

    refusals = []
    for email in ("marie@exemple.fr", "inconnue@exemple.fr"):
        with pytest.raises(TooManyAttempts) as refused:
            log_in(email, NOW + timedelta(seconds=10))
        refusals.append((refused.value.retry_at, refused.value.message))

    assert refusals[0] == refusals[1]
    assert len(argon2_checks) == 10


def test_one_address_trying_many_accounts_waits_after_twenty_failures(app):
    karim = make_user(email="karim@exemple.fr")
    for n in range(20):
        fail(f"personne{n}@exemple.fr", 1)

    with pytest.raises(TooManyAttempts):
        log_in("karim@exemple.fr", NOW + timedelta(seconds=1))
    # Someone elsewhere, or a minute later, is not held up.
    assert log_in("karim@exemple.fr", NOW + timedelta(seconds=1), address="198.51.100.7")
    assert log_in("karim@exemple.fr", NOW + timedelta(seconds=30)).id == karim.id


def test_logging_in_does_not_wipe_the_address_counter(app):
    make_user(email="karim@exemple.fr")
    for n in range(19):
        fail(f"personne{n}@exemple.fr", 1)
    assert log_in("karim@exemple.fr", NOW) is not None

    fail("personne99@exemple.fr", 1)

    with pytest.raises(TooManyAttempts):
        log_in("karim@exemple.fr", NOW + timedelta(seconds=1))


def test_the_counters_hold_no_email_or_address(app):
    fail("marie@exemple.fr", 2)

    rows = db.session.scalars(db.select(LoginThrottle)).all()

    assert {(row.scope, row.failures) for row in rows} == {("account", 2), ("address", 2)}
    assert not any("marie" in row.key or "192.0.2" in row.key for row in rows)


# Through the login page -----------------------------------------------------------------------


def test_two_hundred_wrong_passwords_then_the_right_one_is_refused(client):
    user = make_user(email="marie@exemple.fr")
    token = client.csrf_token()
    statuses = [
        client.post(
            "/connexion", data={"email": user.email, "password": WRONG, "csrf_token": token}
        ).status_code
        for _ in range(200)
    ]

    right = client.post("/connexion", data={"email": user.email, "password": PASSWORD})

    assert statuses[:5] == [422] * 5 and set(statuses[5:]) == {429}
    assert right.status_code == 429
    assert TOO_MANY in page_text(right) and "réessayez dans" in page_text(right)
    assert 1 <= int(right.headers["Retry-After"]) <= 30
    assert client.get("/compte").status_code == 302  # still not logged in


def test_the_waiting_page_is_the_same_for_an_unknown_email(client):
    make_user(email="marie@exemple.fr")
    pages = []
    for email in ("marie@exemple.fr", "inconnue@exemple.fr"):
        for _ in range(5):
            client.post("/connexion", data={"email": email, "password": WRONG})
        response = client.post("/connexion", data={"email": email, "password": WRONG})
        pages.append(
            (response.status_code, page_text(response).replace(email, "EMAIL").split("csrf")[0])
        )

    assert pages[0][0] == pages[1][0] == 429
    assert pages[0][1] == pages[1][1]
    assert WRONG_LOGIN not in pages[0][1]
