"""PDF documents (ReportLab). Built in memory; the caller checks access and audits."""

from __future__ import annotations

from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from coordination.db import utcnow
from coordination.domain.identity import born_word
from coordination.domain.numbers import number_fr
from coordination.workflows.complex_case import COMPLEX_CASE
from coordination.workflows.intake import IntakeSchema

_STYLES = getSampleStyleSheet()
_SMALL = ParagraphStyle("small", parent=_STYLES["BodyText"], fontSize=9, leading=11)
_FOOTER = ("Document confidentiel — données de santé à caractère personnel, à ne "
           "communiquer qu'aux professionnels participant à la prise en charge.")


class _NumberedCanvas(Canvas):
    """Keeps each page until the document ends, then writes « page n sur N » on every
    one: the total is known only then."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 (ReportLab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for page in self._pages:
            self.__dict__.update(page)
            self.setFont("Helvetica", 7.5)
            self.drawRightString(A4[0] - 18 * mm, 8 * mm,
                                 f"page {self._pageNumber} sur {total}")
            super().showPage()
        super().save()


class _Document(SimpleDocTemplate):
    def build(self, flowables: list[Any], **kwargs: Any) -> None:  # type: ignore[override]
        super().build(flowables, canvasmaker=_NumberedCanvas, **kwargs)


def _document(buffer: BytesIO, title: str) -> SimpleDocTemplate:
    return _Document(buffer, pagesize=A4, title=title, author="Coordination de parcours",
                     leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                     bottomMargin=18 * mm)


def _footer(canvas: Any, document: Any) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica", 7.5)
    canvas.drawString(18 * mm, 8 * mm, _FOOTER)
    canvas.restoreState()


def _heading(text: str) -> list[Any]:
    """A section heading that never stands alone at the foot of a page (a page break
    first when less than a few lines are left), while its table may still split."""
    return [CondPageBreak(30 * mm), Paragraph(text, _STYLES["Heading3"])]


def _table(rows: list[list[Any]], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=0)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f0f1f5")),
    ]))
    return table


def _p(text: Any) -> Paragraph:
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), _SMALL)


def intake_summary_pdf(situation: Any, schema: IntakeSchema, labels: dict[str, str],
                       outcome_labels: dict[str, str] | None = None) -> bytes:
    """The intake summary of one situation: identity, state, answers by section, triage."""
    buffer = BytesIO()
    person = situation.person
    story: list[Any] = [
        Paragraph(f"Fiche de recueil — situation n° {situation.id}", _STYLES["Title"]),
        _p(f"Personne : {person.display_name}, naissance : {person.birth_date:%d/%m/%Y} "
           f"(identité {person.identity_status.label.lower()})"),
        _p(f"État : {COMPLEX_CASE.state(situation.state).label} · fiche version "
           f"{schema.version} · édité le {utcnow():%d/%m/%Y}"),
        Spacer(1, 4 * mm),
    ]
    width = A4[0] - 36 * mm
    for section in schema.sections:
        story.append(Paragraph(escape(section.label), _STYLES["Heading3"]))
        rows = [[_p(spec.label), _p(labels.get(spec.id, "—"))] for spec in section.fields]
        story.append(_table(rows, [width * 0.4, width * 0.6]))
    if situation.triages:
        triage = situation.triages[-1]
        story.append(Paragraph("Logigramme", _STYLES["Heading3"]))
        names = outcome_labels or {}
        story.append(_p(f"Version {triage.logigramme_version} — issue proposée : "
                        f"{names.get(triage.proposed_outcome, triage.proposed_outcome)}, "
                        f"retenue : {names.get(triage.final_outcome, triage.final_outcome)}"
                        + (f" (motif : {triage.override_reason})"
                           if triage.override_reason else "")))
        rows = [[_p(step["question"]), _p("oui" if step["result"] else "non")]
                for step in triage.path]
        story.append(_table(rows, [width * 0.8, width * 0.2]))
    _document(buffer, f"Fiche de recueil {situation.id}").build(
        story, onFirstPage=_footer, onLaterPages=_footer)
    return buffer.getvalue()


_SHEET_FOOTER = ("Informations de l'annuaire partagé du territoire : appelez le service "
                 "avant de vous déplacer, horaires et délais peuvent changer.")


def orientation_sheet_pdf(call: Any, services: list[Any], organisation_name: str,
                          zone: Any) -> bytes:
    """The sheet handed or sent to a caller: the services proposed, how to reach them.
    It names the caller, never the person concerned nor any health information."""
    from directory.categories import BY_CODE

    buffer = BytesIO()
    generated = utcnow().astimezone(zone)
    story: list[Any] = [
        Paragraph("Fiche d'orientation", _STYLES["Title"]),
        _p(f"Remise par {organisation_name} à {call.caller_name}"
           + (f" ({call.caller_organisation_name})" if call.caller_organisation_name else "")
           + f", suite à l'appel du {call.received_at.astimezone(zone):%d/%m/%Y à %H:%M}."),
        _p(f"Document édité le {generated:%d/%m/%Y à %H:%M}."),
        Spacer(1, 4 * mm),
    ]
    width = A4[0] - 36 * mm
    for number, service in enumerate(services, start=1):
        category = BY_CODE[service.category].label if service.category in BY_CODE \
            else service.category
        story.append(Paragraph(f"{number}. {escape(service.name)}", _STYLES["Heading3"]))
        commune = service.commune.name if service.commune else ""
        rows = [["Type", category]]
        if service.organisation_name and service.organisation_name != service.name:
            rows.append(["Structure", service.organisation_name])
        address = ", ".join(p for p in (service.address,
                                        f"{service.postcode or ''} {commune}".strip()) if p)
        for label, value in (
                ("Adresse", address),
                ("Téléphone", " · ".join(
                    p.get("number", "") + (f" ({p['label']})" if p.get("label") else "")
                    for p in service.phones or [])),
                ("E-mail", service.email), ("Site", service.website),
                ("Horaires", service.opening_hours),
                ("Conditions d'accès", service.conditions),
                ("Délai d'attente", f"environ {service.waiting_days} jours (signalé le "
                                    f"{service.waiting_reported_on:%d/%m/%Y})"
                 if service.waiting_days is not None and service.waiting_reported_on
                 else None),
                ("Vérifié le", f"{service.last_verified_on:%d/%m/%Y}"
                 if service.last_verified_on else None)):
            if value:
                rows.append([label, value])
        story.append(_table([[_p(a), _p(b)] for a, b in rows], [width * 0.25, width * 0.75]))
    story += [Spacer(1, 6 * mm), _p(_SHEET_FOOTER)]

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.drawString(18 * mm, 8 * mm, f"{organisation_name} — fiche d'orientation, "
                                            f"appel n° {call.id}")
        canvas.restoreState()

    _document(buffer, "Fiche d'orientation").build(story, onFirstPage=footer,
                                                   onLaterPages=footer)
    return buffer.getvalue()


# --- meetings ----------------------------------------------------------------------------------

def _meeting_frame(title: str, subtitle: str, confidential: bool, zone: Any):  # type: ignore[no-untyped-def]
    """Header (title, meeting) and footer (confidentiality, generation date, page) drawn on
    every page of a meeting document."""
    generated = utcnow().astimezone(zone)

    def frame(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica-Bold", 8.5)
        canvas.drawString(18 * mm, A4[1] - 10 * mm, title)
        canvas.setFont("Helvetica", 8.5)
        canvas.drawRightString(A4[0] - 18 * mm, A4[1] - 10 * mm, subtitle)
        canvas.setFont("Helvetica", 7.5)
        canvas.drawString(18 * mm, 12 * mm, _FOOTER if confidential else
                          "Document pseudonymisé : ni nom, ni date de naissance complète, "
                          "ni note de discussion.")
        canvas.drawString(18 * mm, 8 * mm, f"Édité le {generated:%d/%m/%Y à %H:%M}")
        canvas.restoreState()

    return frame


def _pseudonym(person: Any, communes: dict[str, str]) -> str:
    """Initials, birth year, commune: enough for partners to recognise a person they
    follow, not enough to identify anyone else."""
    last = (person.used_name or person.birth_name or "?")[:1].upper()
    first = (person.used_first_name or person.first_birth_first_name
             or person.birth_first_names or "?")[:1].upper()
    commune = communes.get(person.commune_insee or "", "commune non renseignée")
    return f"{first}. {last}., {born_word(person.sex)} en {person.birth_date.year}, {commune}"


# What a partner reads where a situation's discussion is withheld, or others are left out.
RESERVED = "Réservé à l'équipe de soins"
ONLY_SHARED = "Seules les situations partagées avec votre organisation figurent ici."


def agenda_pdf(meeting: Any, view: Any, pseudonymised: bool, zone: Any,
               communes: dict[str, str] | None = None) -> bytes:
    """The agenda as one reader may read it (`view`: meetings.AgendaView): the reasons'
    details and the notes only for the items whose discussion they may read."""
    buffer = BytesIO()
    when = meeting.starts_at.astimezone(zone)
    communes = communes or {}
    story: list[Any] = [
        Paragraph(f"Ordre du jour — {escape(meeting.title)}", _STYLES["Title"]),
        _p(f"Réunion du {when:%d/%m/%Y à %H h %M}"
           + (f", {meeting.place}" if meeting.place else "")
           + (f" — visioconférence : {meeting.video_link}" if meeting.video_link else "")),
        _p("Organisations invitées : " + (", ".join(o.name for o in meeting.invited)
                                          or "aucune")),
        _p(f"État : {meeting.status.label}."
           + (" Version pseudonymisée, pour diffusion." if pseudonymised else "")),
        Spacer(1, 4 * mm),
    ]
    width = A4[0] - 36 * mm
    rows: list[list[Any]] = [[_p("N°"), _p("Situation"), _p("Pourquoi elle est inscrite")]]
    for item in view.items:
        person = item.situation.person
        who = _pseudonym(person, communes) if pseudonymised else \
            f"{person.display_name}, {born_word(person.sex)} le {person.birth_date:%d/%m/%Y}"
        reads = view.reads(item)
        # a reason's detail may quote a note ("Revue : premier épisode délirant"): not in
        # the version that circulates
        detailed = reads and not pseudonymised
        reasons = "\n".join(r["label"] + (f" — {r['detail']}" if detailed and r.get("detail")
                                           else "") for r in item.reasons)
        if item.note and detailed:
            reasons += f"\nNote : {item.note}"
        rows.append([_p(item.position), _p(f"n° {item.situation_id}\n{who}"), _p(reasons)])
    if len(rows) == 1:
        rows.append([_p("—"), _p("Aucune situation inscrite."), _p("")])
    table = Table(rows, colWidths=[width * 0.07, width * 0.38, width * 0.55], repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e9f2"))]))
    story.append(table)
    if view.only_shared:
        story.append(_p(ONLY_SHARED))
    frame = _meeting_frame("Ordre du jour", f"{meeting.title} — {when:%d/%m/%Y}",
                           not pseudonymised, zone)
    _document(buffer, f"Ordre du jour {when:%d/%m/%Y}").build(
        story, onFirstPage=frame, onLaterPages=frame)
    return buffer.getvalue()


def minutes_pdf(meeting: Any, view: Any, organisation_id: int, zone: Any,
                draft: bool = False) -> bytes:
    """The minutes as one reader (of `organisation_id`) may read them (`view`:
    meetings.AgendaView): where they may not read an item's discussion, its notes and
    decision are withheld and of the actions only those confided to their organisation are
    described (the others: to whom, by when)."""
    from coordination.workflows.action import ActionType, overdue

    buffer = BytesIO()
    when = meeting.starts_at.astimezone(zone)
    today = utcnow().astimezone(zone).date()
    types = {t.value: t.label for t in ActionType}
    story: list[Any] = [
        Paragraph(f"Compte rendu — {escape(meeting.title)}"
                  + (" (projet)" if draft else ""), _STYLES["Title"]),
        _p(f"Réunion du {when:%d/%m/%Y à %H h %M}"
           + (f", {meeting.place}" if meeting.place else "") + "."),
    ]
    present = [a for a in meeting.attendance if a.present]
    absent = [a for a in meeting.attendance if not a.present]
    story.append(_p("Présents : " + ("\u202f; ".join(
        a.organisation.name + (f" ({a.attendees})" if a.attendees else "") for a in present)
        or "non renseigné") + "."))
    if absent:
        story.append(_p("Excusés : " + ", ".join(a.organisation.name for a in absent) + "."))
    story.append(Spacer(1, 3 * mm))
    width = A4[0] - 36 * mm
    for item in view.items:
        person = item.situation.person
        reads = view.reads(item)
        heading = Paragraph(escape(f"{item.position}. Situation n° {item.situation_id} — "
                                   f"{person.display_name}"), _STYLES["Heading3"])
        rows = [["Inscrite pour", "\n".join(r["label"] for r in item.reasons)],
                ["Discussion", (item.discussion_notes or "—") if reads else RESERVED],
                ["Décision", (item.decision or "non discutée") if reads
                 else ("discutée ; " + RESERVED.lower()) if item.decided_at
                 else "non discutée"],
                ["Prochaine revue", f"{item.next_review_on:%d/%m/%Y}"
                 if item.next_review_on else "—"]]
        for action in item.actions:
            described = reads or action.assignee_organisation_id == organisation_id
            assignee = action.assignee_organisation
            # a CSAPA or a CMP named here tells the person's care as surely as the title
            to_whom = assignee.name if described or not assignee.is_health_professional_team \
                else "une équipe de soins"
            rows.append(["Action", (f"{action.title} ({types.get(action.type, action.type)})"
                                    if described else "Action")
                                   + f" — {to_whom}"
                                   + (f", échéance {action.due_on:%d/%m/%Y}"
                                      if action.due_on else "")
                                   + (" (en retard)" if overdue(action.due_on, action.state,
                                                                today) else "")])
        # a situation is not cut from its heading by a page break
        story.append(KeepTogether([heading, _table([[_p(a), _p(b)] for a, b in rows],
                                                   [width * 0.22, width * 0.78])]))
    if view.only_shared:
        story.append(_p(ONLY_SHARED))
    if meeting.general_notes:
        story += [Paragraph("Points divers", _STYLES["Heading3"]), _p(meeting.general_notes)]
    frame = _meeting_frame("Compte rendu" + (" — projet" if draft else ""),
                           f"{meeting.title} — {when:%d/%m/%Y}", True, zone)
    _document(buffer, f"Compte rendu {when:%d/%m/%Y}").build(
        story, onFirstPage=frame, onLaterPages=frame)
    return buffer.getvalue()


# --- observatory report ----------------------------------------------------------------------

def _bar_chart(bars: list[tuple[str, int | None]], width: float, masked_text: str) -> Any:
    """Horizontal bars drawn with ReportLab's shapes; a masked cell is an outlined box
    with the words, never a length."""
    from reportlab.graphics.shapes import Drawing, Rect, String

    row, label_width = 11, width * 0.42  # 45 bars fit under the summary on page one
    bar_width = width - label_width - 60
    drawing = Drawing(width, row * len(bars) + 6)
    highest = max((v for _, v in bars if v), default=0) or 1
    for index, (label, value) in enumerate(bars):
        y = drawing.height - (index + 1) * row
        short = label if len(label) <= 55 else label[:54] + "…"
        drawing.add(String(label_width - 4, y + 3, short, fontName="Helvetica", fontSize=6.5,
                           textAnchor="end"))
        if value is None:
            drawing.add(Rect(label_width, y + 2, 24, row - 3, fillColor=colors.white,
                             strokeColor=colors.grey, strokeDashArray=[2, 1]))
            drawing.add(String(label_width + 28, y + 3, masked_text,
                               fontName="Helvetica-Oblique", fontSize=7))
            continue
        length = bar_width * value / highest
        drawing.add(Rect(label_width, y + 2, length, row - 3,
                         fillColor=colors.HexColor("#1d4e89"), strokeColor=None))
        drawing.add(String(label_width + length + 3, y + 3, number_fr(value), fontName="Helvetica",
                           fontSize=7))
    return drawing


def observatory_report_pdf(figures: Any, organisation_name: str,
                           definitions: list[tuple[str, str]], zone: Any,
                           dimension_labels: dict[str, str], masked_text: str,
                           filters: list[tuple[str, str]]) -> bytes:
    """The observatory report for the ARS: counts only (no name, no free text), masked
    cells written as words, a chart, the definitions; header and footer on every page.
    `filters`: the question's filters in words (observatory.describe_filters)."""
    buffer = BytesIO()
    generated = utcnow().astimezone(zone)
    query = figures.query
    width = A4[0] - 36 * mm
    period = f"du {query.date_from:%d/%m/%Y} au {query.date_to:%d/%m/%Y}"
    dims = list(figures.dimensions)
    described = "\u202f; ".join(f"{name.lower()} : {value}" for name, value in filters)

    def cell(row: dict[str, Any]) -> str:
        return masked_text if row.get("suppressed") else number_fr(row["count"])

    story: list[Any] = [
        Paragraph("Observatoire des ruptures de parcours", _STYLES["Title"]),
        _p(f"{organisation_name} — période {period}. Regroupement : "
           + ", ".join(dimension_labels[d].lower() for d in dims)
           + (f". Filtres — {described}" if described else "") + "."),
        _p(f"Rapport édité le {generated:%d/%m/%Y à %H:%M}. Effectifs de 1 à "
           f"{figures.threshold - 1} masqués (secret statistique)."),
        Spacer(1, 4 * mm),
        Paragraph("Synthèse", _STYLES["Heading3"]),
        _table([[_p(a), _p(b)] for a, b in (
            ("Ruptures sur la période",
             masked_text if figures.total is None else number_fr(figures.total)),
            ("Part résolue", "—" if figures.resolved_share is None
             else f"{100 * figures.resolved_share:.0f} %"),
            ("Délai médian de réparation", "—" if figures.median_repair_days is None
             else f"{figures.median_repair_days:.0f} jours"),
            *((r["persons_label"], cell(r)) for r in figures.recurrence))],
            [width * 0.6, width * 0.4]),
    ]
    bars = figures.chart_bars(limit=45)
    if bars:
        # The heading goes with its chart: never alone at the foot of a page.
        story.append(KeepTogether([Paragraph("Graphique", _STYLES["Heading3"]),
                                   _bar_chart(bars, width, masked_text)]))
        if len(figures.rows) > len(bars):
            story.append(_p(f"Graphique limité à {len(bars)} barres"
                            + ("" if set(dims) & {"month", "quarter"}
                               else " (les effectifs les plus élevés)")
                            + " ; le tableau ci-dessous donne toutes les lignes."))
    story += _heading("Effectifs")
    header = [_p(dimension_labels[d]) for d in dims] + [_p("Ruptures")]
    rows = [header] + [[_p(r[f"{d}_label"]) for d in dims] + [_p(cell(r))]
                       for r in figures.rows]
    table = Table(rows, colWidths=[width * 0.8 / max(len(dims), 1)] * len(dims)
                  + [width * 0.2], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                               ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f0f1f5"))]))
    story.append(table)
    for title, key, items in (("Délai de réparation", "bucket", figures.repair_distribution),
                              ("Points de transition", "transition_point",
                               figures.transition_points)):
        story += _heading(title)
        story.append(_table([[_p(r[f"{key}_label"]), _p(cell(r))] for r in items]
                            or [[_p("—"), _p("—")]], [width * 0.75, width * 0.25]))
    story += _heading("Définitions")
    story += [_p(f"{term} : {text}") for term, text in definitions]

    def decorate(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.drawString(18 * mm, A4[1] - 10 * mm,
                          f"Observatoire des ruptures de parcours — {organisation_name}")
        canvas.drawRightString(A4[0] - 18 * mm, A4[1] - 10 * mm, period)
        canvas.drawString(18 * mm, 8 * mm, f"Édité le {generated:%d/%m/%Y à %H:%M} — "
                                            "données agrégées, aucune donnée nominative")
        canvas.restoreState()

    _document(buffer, "Observatoire des ruptures de parcours").build(
        story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()


# --- situation synthesis -------------------------------------------------------------------------

def situation_synthesis_pdf(situation: Any, readable: Any, actions: list[Any],
                            discussions: list[Any], ruptures: list[Any],
                            rupture_details: set[int], labels: dict[str, dict[str, str]],
                            zone: Any, shares: tuple[list[Any], bool]) -> bytes:
    """One situation on two pages for a partner meeting or a hand-over: who, where it
    stands, why (request, domains, triage), who does what (actions), what was decided
    (meetings), where the pathway broke (ruptures), and the recent history. `labels` holds
    French labels by kind ("state", "action_state", "action_type", "rupture_type",
    "outcome"); `readable` is the intake as this reader may see it
    (situations.readable_intake), `rupture_details` the ruptures whose nature and texts
    they may read (ruptures.readable_details), `shares` those it is shared with as they
    may read them (situations.readable_shares)."""
    buffer = BytesIO()
    person = situation.person
    width = A4[0] - 36 * mm
    say = lambda kind, code: labels.get(kind, {}).get(code, code)  # noqa: E731
    answers = readable.answers
    story: list[Any] = [
        Paragraph(f"Synthèse — situation n° {situation.id}", _STYLES["Title"]),
        _table([[_p(a), _p(b)] for a, b in [
            ("Personne", f"{person.display_name}, {born_word(person.sex)} le "
                         f"{person.birth_date:%d/%m/%Y} (identité "
                         f"{person.identity_status.label.lower()})"),
            ("État", say("state", situation.state)),
            ("Référent·e", situation.referent.full_name if situation.referent else "—"),
            ("Demandeur", ", ".join(v for v in readable.requester(situation.requester).values()
                                    if v) or "—"),
            ("Ouverte le", f"{situation.created_at.astimezone(zone):%d/%m/%Y}"),
            ("Prochaine revue", f"{situation.next_review_on:%d/%m/%Y}"
             if situation.next_review_on else "—"),
            ("Partagée avec", (", ".join(s.organisation.name for s in shares[0]) or "—")
             + (" et des équipes de soins (détail réservé)" if shares[1] else "")),
        ]], [width * 0.25, width * 0.75]),
    ]
    if readable.withheld:
        story.append(_p("Les réponses de la fiche de recueil relevant "
                        "de la santé ne figurent pas dans ce document : votre organisation ne "
                        "fait pas partie de l'équipe de soins et le consentement de la "
                        "personne ne couvre pas ces informations."))
    if answers.get("request_reason") or situation.triages:
        story.append(Paragraph("Demande et orientation", _STYLES["Heading3"]))
        if answers.get("request_reason"):
            story.append(_p(f"Motif : {answers['request_reason']}"))
        if answers.get("domains"):
            story.append(_p("Domaines de complexité : " + ", ".join(
                say("domain", d) for d in answers["domains"])))
        if situation.triages:
            triage = situation.triages[-1]
            story.append(_p(f"Logigramme {triage.logigramme_version} : "
                            f"{say('outcome', triage.final_outcome)}"
                            + (f" (au lieu de {say('outcome', triage.proposed_outcome)} : "
                               f"{triage.override_reason})" if triage.override_reason else "")))
    story.append(Paragraph("Actions", _STYLES["Heading3"]))
    rows = [[_p("Action"), _p("Confiée à"), _p("Échéance"), _p("État")]] + [
        [_p(f"{a.title} ({say('action_type', a.type)})"), _p(a.assignee_organisation.name),
         _p(f"{a.due_on:%d/%m/%Y}" if a.due_on else "—"),
         _p(say("action_state", a.state) + (f" — {a.completion_note}" if a.completion_note
                                            else ""))] for a in actions]
    if len(rows) == 1:
        rows.append([_p("Aucune action."), _p(""), _p(""), _p("")])
    story.append(_table(rows, [width * 0.38, width * 0.24, width * 0.13, width * 0.25]))
    if discussions:
        story.append(Paragraph("Décisions de réunion", _STYLES["Heading3"]))
        story.append(_table([[_p(f"{d.meeting.starts_at.astimezone(zone):%d/%m/%Y}"),
                              _p((d.decision or "—") if readable.health_details
                                 else RESERVED)] for d in discussions],
                            [width * 0.2, width * 0.8]))
    if ruptures:
        story.append(Paragraph("Ruptures de parcours", _STYLES["Heading3"]))
        story.append(_table([[_p(f"{r.occurred_on:%d/%m/%Y}"),
                              _p((say("rupture_type", r.type) if r.id in rupture_details
                                  else "Rupture de parcours (nature réservée à l'équipe "
                                       "de soins)")
                                 + (f" — résolue le {r.resolved_on:%d/%m/%Y}"
                                    + (f" : {r.resolution}" if r.id in rupture_details
                                       and r.resolution else "")
                                    if r.resolved_on else " — en cours"))] for r in ruptures],
                            [width * 0.2, width * 0.8]))
    story.append(Paragraph("Dernières étapes", _STYLES["Heading3"]))
    story.append(_table([[_p(f"{h.occurred_at.astimezone(zone):%d/%m/%Y}"),
                          _p(say("state", h.to_state)
                             + (f" — {h.reason}" if h.reason else ""))]
                         for h in situation.history[-12:]], [width * 0.2, width * 0.8]))
    frame = _meeting_frame("Synthèse de situation", f"n° {situation.id}", True, zone)
    _document(buffer, f"Synthèse {situation.id}").build(story, onFirstPage=frame,
                                                        onLaterPages=frame)
    return buffer.getvalue()
