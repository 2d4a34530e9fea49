"""The expected access of every route, read by test_access_matrix.py.

Each endpoint belongs to one rule; a rule says, for each persona, what a request about an
object of the persona's partnership ("own": DAC 11's situation shared with the CSAPA, its
call, meeting, action, rupture, person) and about one of another DAC ("other": DAC 34's,
shared with no one) must answer:

- ok: the view ran (200, 201, a redirect elsewhere than the login page, 400, 409, 422)
- forbidden: 403, the role may not use this route at all
- hidden: 404, exactly like an object that does not exist
- login: anonymous, sent to the login page (pages) or 401 (API)

A new route without an entry here makes the test fail: adding one is an access decision.
"""

from __future__ import annotations

OK, FORBIDDEN, HIDDEN, LOGIN = "ok", "forbidden", "hidden", "login"
PERSONAS = ("coordinator", "csapa_partner", "siao_partner", "unrelated_partner", "manager",
            "admin", "anonymous")
PARTNERS = ("csapa_partner", "siao_partner", "unrelated_partner")


def _rule(default: tuple[str, str], anonymous: str = LOGIN,
          **per_persona: tuple[str, str]) -> dict[str, tuple[str, str]]:
    table = {persona: default for persona in PERSONAS}
    table["anonymous"] = (anonymous, anonymous)
    table.update(per_persona)
    return table


_ALL_OK = (OK, OK)
_NO = (FORBIDDEN, FORBIDDEN)
# the partnership's object only; another DAC's answers 404
_MINE = (OK, HIDDEN)
_NONE = (HIDDEN, HIDDEN)

RULES: dict[str, dict[str, tuple[str, str]]] = {
    "public": _rule(_ALL_OK, anonymous=OK),
    "signed_in": _rule(_ALL_OK),
    "admin": _rule(_NO, admin=_ALL_OK),
    "coordinator": _rule(_NO, coordinator=_ALL_OK),
    "coordinator_or_manager": _rule(_NO, coordinator=_ALL_OK, manager=_ALL_OK),
    "coordinator_or_partner": _rule(_ALL_OK, manager=_NO, admin=_NO),
    "coordinator_or_admin": _rule(_NO, coordinator=_ALL_OK, admin=_ALL_OK),
    # a DAC's own working objects (calls, intake, triage, candidates): its coordinators only
    "dac_object": _rule(_NO, coordinator=_MINE),
    # situations and what hangs on them: the DAC's coordinators, and partners only when
    # shared with their organisation (the SIAO: also the person's consent, not given here)
    "shared_object": _rule(_NO, coordinator=_MINE, csapa_partner=_MINE, siao_partner=_NONE,
                           unrelated_partner=_NONE),
    # the meeting of DAC 11 invites the CSAPA and the SIAO (not the CPTS)
    "meeting_object": _rule(_NO, coordinator=_MINE, csapa_partner=_MINE,
                            siao_partner=_MINE, unrelated_partner=_NONE),
    # identities: the DAC's coordinators; admins for merges (no clinical content);
    # partners read a situation, never the identity file behind it
    "person_object": _rule(_NO, coordinator=_MINE, admin=_ALL_OK),
    "person_object_api": _rule(_NONE, coordinator=_MINE, admin=_ALL_OK, manager=_NO),
    "person_edit": _rule(_NO, coordinator=_MINE),
    # accounts of every organisation are managed by the administrators
    "admin_object": _rule(_NO, admin=_ALL_OK),
    # fixtures with no such object in this world: admins reach the view, which says 404
    "admin_absent": _rule(_NO, admin=_NONE),
    "coordinator_absent": _rule(_NO, coordinator=_NONE),
    # the directory is public information for every signed-in professional
    "directory": _rule(_ALL_OK),
    "directory_admin": _rule(_NO, admin=_ALL_OK),
}

ENDPOINTS: dict[str, str] = {
    "static": "public",
    "health.healthz": "public",
    "auth.login": "public",
    "auth.second_factor": "public",
    "api.issue_token": "public",
    "api.openapi_document": "public",
    "api_docs.index": "public",
    "auth.logout": "signed_in",
    "auth.account": "signed_in",
    "auth.mfa_setup": "signed_in",
    "dashboard.home": "signed_in",
    "notifications.index": "signed_in",
    "notifications.mark_read": "signed_in",
    "api.list_notifications": "signed_in",
    "api.list_organisations": "signed_in",
    "api.rupture_taxonomy": "signed_in",
    # administration
    "admin.audit": "admin",
    "admin.logigramme": "admin",
    "admin.call_motives": "admin",
    "admin.toggle_call_motive": "admin",
    "admin.organisations": "admin",
    "admin.users": "admin",
    "admin.toggle_user": "admin_object",
    "admin.reset_totp": "admin_object",
    "persons.merges": "admin",
    "persons.undo_merge": "admin_absent",
    "api.undo_merge": "admin_absent",
    # directory
    "directory.search_page": "directory",
    "directory.service_page": "directory",
    "directory.report": "directory",
    "directory.edit": "directory_admin",
    "directory.tasks": "directory_admin",
    "directory.resolve": "admin_absent",
    "api.api_cmp_for_commune": "directory",
    "api.api_export_hsds": "directory",
    "api.api_search": "directory",
    "api.api_service": "directory",
    # single number
    "calls.journal": "coordinator",
    "calls.new": "coordinator",
    "calls.known_callers": "coordinator",
    "calls.export": "coordinator",
    "calls.directory_choices": "coordinator",
    "calls.activity": "coordinator_or_manager",
    "calls.show": "dac_object",
    "calls.orientation_sheet": "dac_object",
    "calls.callback_done": "dac_object",
    "calls.open_situation": "dac_object",
    "api.log_call": "coordinator",
    "api.list_calls": "coordinator",
    "api.call_motives": "coordinator_or_manager",
    "api.get_call": "dac_object",
    "api.callback_done": "dac_object",
    # persons
    "persons.search": "coordinator_or_admin",
    "persons.create": "coordinator",
    "persons.show": "person_object",
    "persons.merge": "person_object",
    "persons.edit": "person_edit",
    "persons.access_history": "person_edit",
    "persons.access_history_csv": "person_edit",
    "persons.add_consent": "person_edit",
    "persons.revoke_consent": "person_edit",
    "api.create_person": "coordinator",
    "api.search_persons": "coordinator_or_admin",
    "api.get_person": "person_object_api",
    "api.update_person": "person_edit",
    "api.record_consent": "person_edit",
    "api.revoke_consent": "person_edit",
    "api.person_duplicates": "person_object",
    "api.merge_person": "person_object",
    # situations
    "situations.index": "coordinator_or_partner",
    "situations.show": "shared_object",
    "situations.synthesis_pdf": "shared_object",
    "situations.fire": "shared_object",
    "situations.intake": "dac_object",
    "situations.intake_pdf": "dac_object",
    "situations.triage": "dac_object",
    "situations.share": "dac_object",
    "situations.open_for_person": "person_edit",
    "api.open_situation": "coordinator",
    "api.list_situations": "coordinator_or_partner",
    "api.intake_schema": "coordinator_or_partner",
    "api.get_situation": "shared_object",
    "api.situation_fhir": "shared_object",
    "api.fire_event": "shared_object",
    "api.put_intake": "dac_object",
    "api.triage": "dac_object",
    "api.triages": "dac_object",
    "api.share": "dac_object",
    "api.unshare": "dac_object",
    "api.create_action": "dac_object",
    # actions
    "actions.index": "coordinator_or_partner",
    "actions.show": "shared_object",
    "actions.fire": "shared_object",
    "actions.create": "dac_object",
    "api.list_actions": "coordinator_or_partner",
    "api.get_action": "shared_object",
    "api.fire_action_event": "shared_object",
    # ruptures and observatory
    "ruptures.declare": "shared_object",
    "ruptures.resolve": "shared_object",
    "ruptures.candidates": "coordinator",
    "ruptures.confirm": "coordinator_absent",
    "ruptures.dismiss": "coordinator_absent",
    "ruptures.observatory_page": "coordinator_or_manager",
    "ruptures.observatory_pdf": "coordinator_or_manager",
    "ruptures.observatory_csv": "coordinator_or_manager",
    "api.declare_rupture": "shared_object",
    "api.situation_ruptures": "shared_object",
    "api.get_rupture": "shared_object",
    "api.resolve_rupture": "shared_object",
    "api.list_candidates": "coordinator",
    "api.confirm_candidate": "coordinator_absent",
    "api.dismiss_candidate": "coordinator_absent",
    "api.observatory_activity": "coordinator_or_manager",
    "api.observatory_ruptures": "coordinator_or_manager",
    # meetings
    "meetings.index": "coordinator_or_partner",
    "meetings.plan": "coordinator",
    "meetings.show": "meeting_object",
    "meetings.minutes_pdf": "meeting_object",
    "meetings.agenda_pdf": "meeting_object",
    "meetings.close": "dac_object",
    "meetings.agenda": "dac_object",
    "meetings.session_screen": "dac_object",
    "api.create_series": "coordinator",
    "api.list_meetings": "coordinator_or_partner",
    "api.create_meeting": "coordinator",
    "api.get_meeting": "meeting_object",
    "api.get_agenda": "meeting_object",
    "api.agenda_pdf": "meeting_object",
    "api.minutes_pdf": "meeting_object",
    "api.build_agenda": "dac_object",
    "api.freeze_agenda": "dac_object",
    "api.close_meeting": "dac_object",
    "api.record_decision": "dac_object",
    "api.publish_minutes": "dac_object",
}
