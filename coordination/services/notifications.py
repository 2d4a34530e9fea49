"""In-app notifications, and their e-mail when an SMTP server is configured.

Every sender gives a `key` naming the event ("action_assigned:12", "action_due:12:2026-11-24"):
a second call with the same key for the same person adds nothing, which is what makes the
scheduler's jobs idempotent. Titles name objects by kind and number, never by a person's
name or a typed title: a notification outlives the share or consent it was sent under, and
the link leads to a page that checks access again. E-mails carry only the kind of event.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from coordination.db import utcnow
from coordination.domain.accounts import Role
from coordination.domain.errors import NotFound
from coordination.models import Notification, User, UserRole
from coordination.settings import Settings

log = logging.getLogger(__name__)

# What an e-mail says: only the kind of event, never the in-app title (free text typed by
# people, which may name a person or hint at their health).
EMAIL_SUBJECTS = {
    "action_assigned": "Une action a été confiée à votre organisation",
    "action_due_soon": "Une action arrive à échéance",
    "action_overdue": "Une action est en retard",
    "action_complete": "Une action a été réalisée",
    "action_block": "Une action est bloquée",
    "agenda_frozen": "L'ordre du jour d'une réunion est arrêté",
    "minutes_published": "Le compte rendu d'une réunion est publié",
    "agenda_overflow": "Des situations sont reportées à la réunion suivante",
    "callback_due": "Un rappel téléphonique est à faire",
    "review_due": "Une revue de situation est échue",
}


def notify(session: Session, users: Iterable[User], kind: str, key: str, title: str,
           link: str | None = None, body: str | None = None) -> list[Notification]:
    """Queue one notification per user not yet notified of `key` (the caller commits)."""
    recipients = {u.id: u for u in users if u.is_enabled}
    if not recipients:
        return []
    known = set(session.scalars(select(Notification.user_id).where(
        Notification.key == key, Notification.user_id.in_(recipients))))
    # Objects added in this same transaction are not visible to the query yet.
    known |= {n.user_id for n in session.new if isinstance(n, Notification) and n.key == key}
    created = []
    for user_id in recipients.keys() - known:
        notification = Notification(user_id=user_id, kind=kind, key=key[:120],
                                    title=title[:300], link=link, body=body)
        session.add(notification)
        created.append(notification)
    return created


def organisation_members(session: Session, organisation_id: int,
                         roles: tuple[Role, ...] = (Role.PARTNER, Role.COORDINATOR)) -> list[User]:
    return list(session.scalars(
        select(User).join(UserRole).where(User.organisation_id == organisation_id,
                                          User.is_enabled.is_(True), UserRole.role.in_(roles))
        .distinct()))


def unread_count(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def recent(session: Session, user: User, limit: int = 100) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.user_id == user.id)
                                .order_by(Notification.id.desc()).limit(limit)))


def mark_read(session: Session, user: User, notification_id: int | None = None) -> str | None:
    """One notification (returns its link), or all of the user's when no id is given."""
    statement = update(Notification).where(Notification.user_id == user.id,
                                           Notification.read_at.is_(None))
    link = None
    if notification_id is not None:
        found = session.execute(select(Notification.id, Notification.link).where(
            Notification.id == notification_id, Notification.user_id == user.id)).first()
        if found is None:
            raise NotFound("Notification introuvable.")
        link = found.link
        statement = statement.where(Notification.id == notification_id)
    session.execute(statement.values(read_at=utcnow()))
    session.commit()
    return link


# A failed e-mail is tried again after a pause, a few times; one left "sending" by a run that
# stopped half-way (crash, lost connection) is taken again after the same pause.
RETRY_AFTER = timedelta(minutes=10)
# The server refused one message (recipient, sender, content): the others still go.
REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)
MAX_EMAIL_ATTEMPTS = 5


def _email_due(now: datetime) -> ColumnElement[bool]:
    return or_(Notification.email_status.is_(None),
               and_(Notification.email_status.in_(("failed", "sending")),
                    Notification.email_attempts < MAX_EMAIL_ATTEMPTS,
                    Notification.email_claimed_at < now - RETRY_AFTER))


def send_pending_emails(session: Session, settings: Settings, limit: int = 200,
                        now: datetime | None = None) -> int:
    """E-mail the notifications due (never sent, or failed and due for another try); each is
    claimed by a conditional update so that two scheduler runs never send the same one at
    once. Returns how many were sent."""
    if not settings.smtp_host:
        return 0
    now = now or utcnow()
    pending = list(session.execute(
        select(Notification.id, User.email, Notification.kind, Notification.link)
        .join(User, User.id == Notification.user_id)
        .where(_email_due(now), User.is_enabled.is_(True))
        .order_by(Notification.id).limit(limit)))
    if not pending:
        return 0
    sent = 0
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password or "")
            for notification_id, email, kind, link in pending:
                claimed = session.execute(
                    update(Notification).where(Notification.id == notification_id,
                                               _email_due(now))
                    .values(email_status="sending", email_claimed_at=now,
                            email_attempts=Notification.email_attempts + 1)).rowcount
                session.commit()
                if not claimed:
                    continue
                message = EmailMessage()
                message["From"] = settings.smtp_sender
                message["To"] = email
                subject = EMAIL_SUBJECTS.get(kind, "Vous avez une nouvelle notification")
                message["Subject"] = f"[Coordination de parcours] {subject}"
                message.set_content(
                    f"{subject}.\n\n"
                    + (f"Pour le voir : {settings.public_url}{link}\n\n" if link else "")
                    + "Ce message ne contient aucune information de santé : connectez-vous "
                      "pour les détails.\n")
                try:
                    smtp.send_message(message)
                except REFUSED as exc:  # this message only: the next ones may go
                    log.warning("notification %s not e-mailed: %s", notification_id, exc)
                    _mark(session, notification_id, "failed")
                    continue
                except OSError:  # the connection is gone: the rest waits for the next run
                    _mark(session, notification_id, "failed")
                    raise
                sent += 1
                _mark(session, notification_id, "sent")
    except OSError as exc:  # smtplib's errors are OSErrors too
        # The server is down: leave the rest pending for the next run.
        log.warning("SMTP server %s unavailable: %s", settings.smtp_host, exc)
        session.rollback()
    return sent


def _mark(session: Session, notification_id: int, status: str) -> None:
    session.execute(update(Notification).where(Notification.id == notification_id)
                    .values(email_status=status))
    session.commit()
