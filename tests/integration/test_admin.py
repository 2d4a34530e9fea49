"""An admin manages the partnership's organisations and accounts from the browser."""

from sqlalchemy import select

from coordination.models import Organisation, User
from tests.conftest import Auth, csrf_token


def form(client, path, **fields):
    return client.post(path, data={"csrf_token": csrf_token(client, path), **fields})


def test_an_admin_creates_an_organisation_and_its_health_status_follows_its_type(
        client, auth, personas, db_session):
    auth.login(personas["admin"].email)
    response = form(client, "/admin/organisations", name="CHRS Le Relais", type="chrs",
                    is_health_professional_team="", finess="")
    assert response.status_code == 302
    created = db_session.scalar(select(Organisation).where(Organisation.name == "CHRS Le Relais"))
    assert created.is_health_professional_team is False


def test_an_invalid_organisation_keeps_what_was_typed_and_names_the_field(client, auth,
                                                                          personas):
    auth.login(personas["admin"].email)
    response = form(client, "/admin/organisations", name="SIAO 11", type="siao",
                    is_health_professional_team="maybe", finess="12AB",
                    agreement_signed_on="2026-05-01",
                    agreement_ends_on="2025-01-01")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "pas un choix valide" in page  # the tampered select, in French
    assert 'value="12AB"' in page and 'value="2026-05-01"' in page
    response = form(client, "/admin/organisations", name="SIAO 11", type="siao",
                    is_health_professional_team="", finess="12AB",
                    agreement_signed_on="2026-05-01", agreement_ends_on="2025-01-01")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "existe déjà" in page and "FINESS" in page and "précède" in page


def test_an_admin_creates_an_account_that_can_sign_in(client, app, auth, personas, partnership):
    auth.login(personas["admin"].email)
    response = form(client, "/admin/utilisateurs", full_name="Léa Martin",
                    email="lea.martin@csapa.test", organisation_id=partnership["csapa"].id,
                    roles=["partner"], password="Le vent du Cers souffle fort")
    assert response.status_code == 302
    other = app.test_client()
    assert Auth(other).login("lea.martin@csapa.test",
                             "Le vent du Cers souffle fort").status_code == 302


def test_a_refused_account_shows_every_reason_and_keeps_typed_values(client, auth, personas,
                                                                     partnership):
    auth.login(personas["admin"].email)
    response = form(client, "/admin/utilisateurs", full_name="Léa Martin",
                    email="alice@dac11.test", organisation_id=partnership["csapa"].id,
                    password="azerty123456")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "existe déjà" in page and "au moins un rôle" in page and "les plus courants" in page
    assert 'value="Léa Martin"' in page


def test_an_admin_disables_an_account_and_its_session_ends(client, app, auth, personas,
                                                           db_session):
    partner = app.test_client()
    Auth(partner).login("bob@csapa.test")
    assert partner.get("/").status_code == 200
    auth.login(personas["admin"].email)
    bob = personas["csapa_partner"]
    response = form(client, f"/admin/utilisateurs/{bob.id}/activation")
    assert response.status_code == 302
    db_session.expire_all()
    assert db_session.get(User, bob.id).is_enabled is False
    assert partner.get("/").status_code == 302
    # the person is told why they are back on the sign-in page
    assert "Votre compte a été désactivé" in partner.get("/connexion").get_data(as_text=True)
    form(client, f"/admin/utilisateurs/{bob.id}/activation", enabled="y")
    assert Auth(partner).login("bob@csapa.test").status_code == 302


def test_an_admin_cannot_disable_their_own_account(client, auth, personas, db_session):
    admin = personas["admin"]
    auth.login(admin.email)
    response = form(client, f"/admin/utilisateurs/{admin.id}/activation")
    assert response.status_code == 409
    db_session.expire_all()
    assert db_session.get(User, admin.id).is_enabled is True


def test_toggling_an_unknown_account_is_404(client, auth, personas):
    auth.login(personas["admin"].email)
    assert form(client, "/admin/utilisateurs/999999/activation").status_code == 404
