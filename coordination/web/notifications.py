"""The bell: in-app notifications, newest first, marked read one by one or all at once."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from coordination.domain.errors import as_id
from coordination.services import notifications
from coordination.web.access import allow
from coordination.web.context import db

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("/")
@allow()
def index():  # type: ignore[no-untyped-def]
    return render_template("notifications/index.html",
                           items=notifications.recent(db(), current_user))


@bp.post("/lues")
@allow()
def mark_read():  # type: ignore[no-untyped-def]
    notification_id = as_id(request.form.get("id"))
    link = notifications.mark_read(db(), current_user, notification_id)
    if notification_id and request.form.get("suivre") and link:
        return redirect(link)  # open what it is about (the stored link, never the form's)
    return redirect(url_for("notifications.index"))
