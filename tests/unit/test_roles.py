"""Roles and organisation types as written on a command line."""

import pytest

from coordination.domain.accounts import (
    OrganisationType,
    Role,
    parse_organisation_type,
    parse_role,
)


def test_roles_are_parsed_by_code_in_any_case():
    assert parse_role("Coordinator") is Role.COORDINATOR
    assert parse_role(" admin ") is Role.ADMIN


def test_an_unknown_role_names_itself_and_the_choices():
    with pytest.raises(ValueError, match="'chief'.*coordinator, partner, manager, admin"):
        parse_role("chief")


@pytest.mark.parametrize(("text", "kind"), [
    ("CMP", OrganisationType.CMP_USSAP), ("ussap", OrganisationType.CMP_USSAP),
    ("cmp/ussap", OrganisationType.CMP_USSAP), ("SIAO", OrganisationType.SIAO),
    ("com360", OrganisationType.COM360), ("social-services", OrganisationType.SOCIAL_SERVICES),
])
def test_organisation_types_accept_the_names_people_use(text, kind):
    assert parse_organisation_type(text) is kind


def test_housing_and_social_organisations_are_not_health_teams_by_default():
    assert not OrganisationType.SIAO.usually_health_team
    assert not OrganisationType.CHRS.usually_health_team
    assert OrganisationType.CSAPA.usually_health_team
    assert OrganisationType.CMP_USSAP.usually_health_team
