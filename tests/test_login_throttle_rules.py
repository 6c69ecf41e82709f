"""Login throttling rules, without web or database: failures, waits, and what we tell people."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pole.auth import rules
from pole.auth.rules import (
    ACCOUNT,
    ADDRESS,
    LIMITS,
    account_key,
    address_key,
    counted_failures,
    delay_after,
    retry_at,
    wait_message,
)

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 8, 9, 40, tzinfo=UTC)  # 10:40 in Paris
S = timedelta(seconds=1)


@pytest.mark.parametrize(
    "failures, delay",
    [
        pytest.param(0, timedelta(0), id="none"),
        pytest.param(4, timedelta(0), id="four-are-free"),
        pytest.param(5, timedelta(seconds=30), id="fifth-then-30s"),
        pytest.param(6, timedelta(minutes=1), id="sixth-then-1min"),
        pytest.param(7, timedelta(minutes=2), id="seventh-then-2min"),
        pytest.param(9, timedelta(minutes=8), id="ninth-then-8min"),
        pytest.param(10, timedelta(minutes=15), id="capped-at-15min"),
        pytest.param(200, timedelta(minutes=15), id="two-hundred-still-capped"),
    ],
)
def test_an_account_waits_longer_after_each_failure_past_five(failures, delay):
    assert delay_after(LIMITS[ACCOUNT], failures) == delay


def test_an_address_shared_by_a_whole_building_has_more_room():
    assert delay_after(LIMITS[ADDRESS], 19) == timedelta(0)
    assert delay_after(LIMITS[ADDRESS], 20) == timedelta(seconds=30)


@pytest.mark.parametrize(
    "failures, last_failure, expected",
    [
        pytest.param(4, NOW, None, id="under-the-limit"),
        pytest.param(5, NOW, NOW + 30 * S, id="just-failed-the-fifth-time"),
        pytest.param(5, NOW - 29 * S, NOW + S, id="one-second-left"),
        pytest.param(5, NOW - 30 * S, None, id="wait-over"),
        pytest.param(6, NOW - 30 * S, NOW + 30 * S, id="sixth-failure-doubles-the-wait"),
        pytest.param(50, NOW - timedelta(hours=23), None, id="cap-over"),
        pytest.param(50, NOW - timedelta(hours=24), None, id="forgotten-after-a-day"),
        pytest.param(0, None, None, id="never-failed"),
    ],
)
def test_the_next_attempt_is_allowed_when_the_wait_is_over(failures, last_failure, expected):
    assert retry_at(LIMITS[ACCOUNT], failures, last_failure, NOW) == expected


def test_failures_of_yesterday_no_longer_count():
    limit = LIMITS[ACCOUNT]
    assert counted_failures(limit, 7, NOW - timedelta(hours=23, minutes=59), NOW) == 7
    assert counted_failures(limit, 7, NOW - timedelta(hours=24), NOW) == 0


@pytest.mark.parametrize(
    "wait, text",
    [
        pytest.param(S, "réessayez dans 1 seconde.", id="one-second"),
        pytest.param(30 * S, "réessayez dans 30 secondes.", id="seconds"),
        pytest.param(timedelta(seconds=29.2), "réessayez dans 30 secondes.", id="rounded-up"),
        pytest.param(60 * S, "réessayez dans 1 minute.", id="one-minute"),
        pytest.param(61 * S, "réessayez dans 2 minutes.", id="minutes-rounded-up"),
        pytest.param(timedelta(minutes=15), "réessayez dans 15 minutes.", id="the-cap"),
        pytest.param(timedelta(hours=2, seconds=1), "réessayez à 12 h 41.", id="time-of-day"),
    ],
)
def test_the_message_says_in_french_when_to_try_again(wait, text):
    message = wait_message(NOW + wait, NOW, PARIS)
    assert message.startswith("Trop de tentatives de connexion.")
    assert message.endswith(text)


@pytest.mark.parametrize(
    "one, other, same",
    [
        pytest.param("Marie@Exemple.fr ", "marie@exemple.fr", True, id="case-and-spaces"),
        pytest.param("marie@exemple.fr", "marie2@exemple.fr", False, id="another-account"),
    ],
)
def test_an_account_is_counted_by_its_normalised_email(one, other, same):
    assert (account_key(one) == account_key(other)) is same
    assert "marie" not in account_key(one)  # the table holds no typed address


@pytest.mark.parametrize(
    "one, other, same",
    [
        pytest.param("192.0.2.1", "192.0.2.1", True, id="same-ipv4"),
        pytest.param("192.0.2.1", "192.0.2.2", False, id="another-ipv4"),
        pytest.param("2001:db8:1:2::1", "2001:db8:1:2:ffff::9", True, id="same-ipv6-slash-64"),
        pytest.param("2001:db8:1:2::1", "2001:db8:1:3::1", False, id="another-ipv6-slash-64"),
        pytest.param("::ffff:192.0.2.1", "192.0.2.1", True, id="ipv4-mapped"),
        pytest.param(None, "", True, id="unknown"),
    ],
)
def test_an_address_is_counted_by_its_network(one, other, same):
    assert (address_key(one) == address_key(other)) is same
    assert address_key(one) != account_key(one or "")


def test_the_rules_import_neither_flask_nor_the_database():
    tree = ast.parse(Path(rules.__file__).read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not imported & {"flask", "sqlalchemy", "flask_sqlalchemy"}
    assert "pole.db" not in Path(rules.__file__).read_text()
