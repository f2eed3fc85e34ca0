"""Create the Flask extensions unbound; `create_app` binds them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_compress import Compress
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
compress = Compress()
