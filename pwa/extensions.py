"""Create the Flask extensions unbound; `create_app` binds them."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
if TYPE_CHECKING:
    # db.Model is made at run time (Base with Flask-SQLAlchemy's additions); the type checker
    # sees the declarative base it is built on.
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
# Limits are set per view; in-memory storage suits one process, RATELIMIT_STORAGE_URI a cluster.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def username_key() -> str:
    """Key a sign-in limit by the username tried, so guessing one account is slowed anywhere.

    The key is a digest: limiter log lines then never name a person.
    """
    body = request.get_json(silent=True) if request.is_json else None
    given = body.get("username") if isinstance(body, dict) else request.form.get("username")
    username = (given if isinstance(given, str) else "").strip().lower()
    # surrogatepass: any text a JSON body can hold gives a key (the view then refuses it).
    return "user:" + hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()[:32]
