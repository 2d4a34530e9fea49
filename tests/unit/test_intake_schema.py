"""What a call already says, carried into the intake."""

import pytest


@pytest.mark.parametrize(("said", "code"), [
    ("Assistante sociale", "social_worker"), ("médecin généraliste", "gp"),
    ("Psychiatre, CMP", "psychiatrist"), ("Infirmière libérale", "nurse"),
    ("mère", "family"), ("Équipe des urgences", "hospital_team"), ("", None),
    ("voisin", None)])
def test_a_caller_s_role_becomes_the_requester_role_when_clear(said, code):
    from coordination.workflows.intake import requester_role_for

    assert requester_role_for(said) == code


@pytest.mark.parametrize(("said", "names"), [
    ("Karim Haddad", ("Haddad", "Karim")), ("HADDAD Karim", ("HADDAD", "Karim")),
    ("Jean Pierre LEFEVRE", ("LEFEVRE", "Jean Pierre")), ("Haddad", ("Haddad", None)),
    ("", (None, None))])
def test_a_name_said_on_a_call_fills_the_new_person_form(said, names):
    from coordination.domain.identity import guess_names

    assert guess_names(said) == names
