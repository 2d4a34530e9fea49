"""The home page: one dashboard, with the sections each of the user's roles needs."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from coordination.db import utcnow
from coordination.services import dashboards
from coordination.web.access import allow
from coordination.web.context import db, local_zone

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@allow()
def home():  # type: ignore[no-untyped-def]
    board = dashboards.for_user(db(), current_user, local_zone())
    return render_template("dashboard/home.html", board=board, now=utcnow())
