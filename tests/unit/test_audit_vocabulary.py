"""A person's access history, told in French from the technical audit trail."""

from coordination.domain.audit_vocabulary import tell

WORDS = {("event", "declare_rupture"): "Rupture de parcours confirmée",
         ("state", "awaiting_meeting"): "En attente de réunion",
         ("state", "in_rupture"): "En rupture de parcours",
         ("outcome", "meeting"): "Présentation à la prochaine réunion"}


def label(kind, code):
    return WORDS.get((kind, code), code)


def test_a_transition_reads_as_its_event_and_states():
    told = tell("transition", "situations", "12", ["state"],
                "declare_rupture: awaiting_meeting -> in_rupture", label=label)
    assert told.operation == "étape du parcours" and told.object == "situation n° 12"
    assert told.fields == "étape"
    assert told.detail == ("Rupture de parcours confirmée : En attente de réunion → "
                           "En rupture de parcours")


def test_a_triage_names_its_outcomes():
    told = tell("triage", "situations", "3", [],
                "logigramme 2026.1: proposed meeting, final meeting", label=label)
    assert "issue proposée « Présentation à la prochaine réunion »" in told.detail


def test_fields_and_objects_are_named_and_unknown_ones_kept_readable():
    told = tell("update", "persons", "1", ["birth_date", "caregiver_phone", "new_field"],
                None, label=label)
    assert told.object == "identité n° 1"
    assert told.fields == "date de naissance, téléphone de l'aidant, new field"
    assert told.detail == ""
