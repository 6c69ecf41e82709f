"""A fresh install, configured as the README says, migrates and serves on its first run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "app"]
SERVES = (
    "from app import app\n"
    "response = app.test_client().get('/connexion')\n"
    "print(response.status_code)\n"
)


def first_run_env(instance: Path, **settings: str) -> dict[str, str]:
    """The environment of a first run: no DATABASE_URL (the SQLite default), a fresh instance."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY"}}
    return {**env, "POLE_INSTANCE_PATH": str(instance), "FLASK_DEBUG": "0", **settings}


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_a_first_run_with_secret_key_set_creates_the_instance_folder_and_migrates(tmp_path):
    instance = tmp_path / "fresh" / "instance"
    env = first_run_env(instance, SECRET_KEY="a-production-secret-from-the-environment")

    upgrade = run([*FLASK, "db", "upgrade"], env)

    assert upgrade.returncode == 0, upgrade.stderr
    assert (instance / "pole.db").is_file()
    assert not (instance / "secret_key").exists()  # the key from the environment is used
    served = run([sys.executable, "-c", SERVES], env)
    assert served.returncode == 0, served.stderr
    assert served.stdout.strip() == "200"


def test_a_first_run_without_secret_key_generates_one_into_the_instance_folder(tmp_path):
    instance = tmp_path / "fresh" / "instance"

    upgrade = run([*FLASK, "db", "upgrade"], first_run_env(instance))

    assert upgrade.returncode == 0, upgrade.stderr
    assert (instance / "pole.db").is_file()
    assert len((instance / "secret_key").read_text().strip()) == 64


def test_the_instance_folder_comes_from_pole_instance_path(tmp_path, monkeypatch):
    from pole.config import instance_path

    monkeypatch.setenv("POLE_INSTANCE_PATH", str(tmp_path / "elsewhere"))
    assert instance_path(ROOT / "instance") == str(tmp_path / "elsewhere")
    monkeypatch.delenv("POLE_INSTANCE_PATH")
    assert instance_path(ROOT / "instance") == str(ROOT / "instance")


def test_make_runs_steps_migrate_and_load_the_demo_with_mail_sending_on(tmp_path):
    """`make run` on a fresh machine: db upgrade, then the demo, with the default settings
    (the worker sends the mails, the web process only writes them): the demo loads and its
    mails wait in the outbox."""
    instance = tmp_path / "fresh" / "instance"
    env = first_run_env(instance, POLE_DEMO_PASSWORD="demo-password-for-this-test")
    env.pop("POLE_MAIL_KICK", None)

    upgrade = run([*FLASK, "db", "upgrade"], env)
    assert upgrade.returncode == 0, upgrade.stderr
    demo = run([*FLASK, "pole", "demo", "--if-empty"], env)

    assert demo.returncode == 0, demo.stderr
    assert "Les 4 Épis" in demo.stdout
    served = run([sys.executable, "-c", SERVES], env)
    assert served.returncode == 0, served.stderr
