"""Extensions, created unbound and attached in create_app()."""

from flask_babel import Babel
from flask_htmx import HTMX
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from pole.db import db

migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
htmx = HTMX()

__all__ = ["babel", "csrf", "db", "htmx", "login_manager", "migrate"]
