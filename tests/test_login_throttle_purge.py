"""The failed-login counters are purged once a day by the worker: a counter whose failures no
longer count goes, a recent one stays and still makes its account wait. Both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from pole import worker
from pole.auth import rules, services
from pole.auth.models import LoginThrottle
from pole.auth.throttle import TooManyAttempts, forget_old
from pole.db import db, utcnow
from tests.factories import make_user

WRONG = "pas-le-bon-mot-de-passe"


def counters() -> dict[tuple[str, str], int]:
    db.session.rollback()
    rows = db.session.scalars(sa.select(LoginThrottle))
    return {(row.scope, row.key): row.failures for row in rows}


def test_old_counters_go_and_recent_ones_stay(app):
    old, recent = make_user(), make_user()
    now = utcnow()
    window = rules.LIMITS[rules.ACCOUNT].forget_after
    for _ in range(3):
        services.attempt_login(old.email, WRONG, "192.0.2.1", now=now - window)
        services.attempt_login(recent.email, WRONG, "192.0.2.2", now=now - timedelta(hours=1))
    assert len(counters()) == 4
    assert forget_old(now) == 2  # the old account and its address
    kept = counters()
    assert sorted(scope for scope, _ in kept) == [rules.ACCOUNT, rules.ADDRESS]
    assert (rules.ACCOUNT, rules.account_key(recent.email)) in kept


def test_the_worker_runs_the_purge_daily(app):
    user = make_user()
    long_ago = utcnow() - timedelta(days=3)
    services.attempt_login(user.email, WRONG, "192.0.2.3", now=long_ago)
    assert worker.forget_login_failures in [job.run for job in worker.timed_jobs()]
    assert next(j for j in worker.timed_jobs() if j.run == worker.forget_login_failures).every == (
        worker.DAY
    )
    with app.app_context():
        worker.forget_login_failures(app)
    assert counters() == {}


def test_a_purge_keeps_an_account_waiting_that_must_still_wait(app):
    user = make_user()
    now = utcnow()
    for _ in range(rules.LIMITS[rules.ACCOUNT].free_failures):
        services.attempt_login(user.email, WRONG, "192.0.2.4", now=now - timedelta(seconds=10))
    forget_old(now)
    assert counters()[(rules.ACCOUNT, rules.account_key(user.email))] > 0
    with pytest.raises(TooManyAttempts):  # the purge forgave nothing
        services.attempt_login(user.email, WRONG, "192.0.2.4", now=now)
