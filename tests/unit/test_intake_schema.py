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
