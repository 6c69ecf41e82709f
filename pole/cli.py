"""`flask pole ...` commands."""

from __future__ import annotations

import os
import secrets

import click
from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app
from flask.cli import AppGroup

from pole import demo
from pole.auth.passwords import MIN_LENGTH
from pole.auth.services import create_user, find_user_by_email
from pole.db import db

pole_cli = AppGroup("pole", help="Pôle administration commands.")


@pole_cli.command("create-user")
@click.option("--email", prompt="Adresse e-mail")
@click.option("--name", prompt="Nom")
@click.option("--manager/--no-manager", default=True, help="Building manager (default).")
@click.option("--social-worker", is_flag=True, help="CCAS social worker.")
@click.password_option("--password", prompt="Mot de passe", confirmation_prompt=True)
def create_user_command(
    email: str, name: str, manager: bool, social_worker: bool, password: str
) -> None:
    """Create an account, by default the first building manager."""
    try:
        # The login form only accepts valid addresses: any other could never log in.
        validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError:
        message = f"« {email} » n'est pas une adresse e-mail valide"
        raise click.BadParameter(message, param_hint="--email") from None
    if len(password) < MIN_LENGTH:
        raise click.BadParameter(f"au moins {MIN_LENGTH} caractères", param_hint="--password")
    if find_user_by_email(email) is not None:
        raise click.ClickException(f"Un compte existe déjà pour {email}.")
    create_user(email, name, password, is_manager=manager, is_social_worker=social_worker)
    db.session.commit()
    click.echo(f"Compte créé pour {email}.")


@pole_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has data.")
def demo_command(if_empty: bool) -> None:
    """Fill an empty database with the demo building "Les 4 Épis"."""
    if not demo.is_empty():
        if if_empty:
            click.echo("La base contient déjà des données : démo non chargée.")
            return
        raise click.ClickException(
            "La base n'est pas vide : la démo ne se charge que dans une base vide."
        )
    password = os.environ.get("POLE_DEMO_PASSWORD") or secrets.token_urlsafe(9)
    # The demo's bookings queue mails; this short-lived process leaves them to the worker.
    # A sending thread here would write to SQLite between the demo's own read-then-write
    # steps, and SQLite refuses such a transaction at once ("database is locked").
    current_app.config["POLE_MAIL_KICK"] = False
    accounts = demo.load(password, past=True)
    click.echo("Bâtiment de démonstration « Les 4 Épis » chargé.")
    click.echo("Comptes de démonstration (mot de passe affiché une seule fois) :")
    for account in accounts:
        click.echo(f"  {account.email:<38} {account.role}")
    click.echo(f"Mot de passe de tous les comptes de démo : {password}")


@pole_cli.command("purge")
@click.option(
    "--days",
    type=click.IntRange(min=0),
    default=None,
    help="Retention in days (default: POLE_APPOINTMENT_RETENTION_DAYS, 365).",
)
def purge_command(days: int | None) -> None:
    """Delete permanence appointments whose slot ended longer ago than the retention."""
    from flask import current_app

    from pole.permanences.services import purge

    retention = current_app.config["POLE_APPOINTMENT_RETENTION_DAYS"] if days is None else days
    purged = purge(retention)
    click.echo(f"{purged.appointments} rendez-vous de plus de {retention} jours supprimés.")


@pole_cli.command("worker")
@click.option(
    "--once", is_flag=True, help="One round (send the due mails, run the jobs), then exit."
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=None,
    help="Seconds between two looks at the outbox (default: POLE_WORKER_INTERVAL, 2).",
)
def worker_command(once: bool, interval: float | None) -> None:
    """Send the outbox and run the daily jobs (retention purge) until SIGTERM."""
    import threading

    from flask import current_app

    from pole import worker

    app = current_app._get_current_object()
    stop = threading.Event()
    worker.stop_on_signals(stop)
    every = app.config["POLE_WORKER_INTERVAL"] if interval is None else interval
    click.echo(f"Pôle worker : envoi des e-mails toutes les {every:g} s (arrêt : SIGTERM).")
    worker.run(app, stop, every, once=once)
    click.echo("Pôle worker arrêté.")


def register(app: Flask) -> None:
    app.cli.add_command(pole_cli)
