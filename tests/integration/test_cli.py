"""The `coordination` command, as an operator's script uses it."""

import click
import pytest
from click.testing import CliRunner

from coordination.cli import cli
from coordination.db import make_engine, make_session_factory
from coordination.models import User


@pytest.fixture
def run(fresh_database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("COORDINATION_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("COORDINATION_INSTANCE_PATH", str(tmp_path / "instance"))
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def initialised(run):
    assert run("init-db").exit_code == 0
    return run


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


def test_every_command_has_help(run):
    names = list(_commands(cli))
    assert {("init-db",), ("demo",), ("serve",), ("create-user",), ("create-organisation",),
            ("audit", "verify")} <= set(names)
    for name in names:
        result = run(*name, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output, name


def test_init_db_is_repeatable(run):
    assert run("init-db").exit_code == 0
    assert run("init-db").exit_code == 0


def test_commands_refuse_an_uninitialised_database(run):
    result = run("demo")
    assert result.exit_code == 1 and "coordination init-db" in result.output


def test_a_bad_setting_stops_the_command_naming_the_variable(run, monkeypatch):
    monkeypatch.setenv("COORDINATION_SESSION_IDLE_MINUTES", "beaucoup")
    result = run("init-db")
    assert result.exit_code == 1 and "COORDINATION_SESSION_IDLE_MINUTES" in result.output


def test_an_operator_creates_an_organisation_and_a_user_from_a_script(initialised,
                                                                      fresh_database_url):
    run = initialised
    result = run("create-organisation", "--name", "SIAO 11", "--type", "siao")
    assert result.exit_code == 0 and "health team: no" in result.output
    result = run("create-user", "--email", "Marie@SIAO11.example", "--name", "Marie Puig",
                 "--organisation", "siao 11", "--role", "partner", "--role", "manager",
                 "--password-stdin", input="Les cigales chantent à Narbonne\n")
    assert result.exit_code == 0, result.output
    engine = make_engine(fresh_database_url)
    with make_session_factory(engine)() as session:
        user = session.query(User).one()
        assert user.email == "marie@siao11.example"
        assert {r.value for r in user.roles} == {"partner", "manager"}
        assert user.password_hash.startswith("$argon2id$")
    engine.dispose()


def test_an_unknown_organisation_exits_2_naming_it(initialised):
    result = initialised("create-user", "--email", "a@b.example", "--name", "A B",
                         "--organisation", "Nulle Part", "--role", "partner",
                         "--password-stdin", input="Les cigales chantent à Narbonne\n")
    assert result.exit_code == 2 and "Nulle Part" in result.output


def test_an_unknown_role_exits_2_naming_it(initialised):
    initialised("create-organisation", "--name", "DAC 11", "--type", "dac")
    result = initialised("create-user", "--email", "a@b.example", "--name", "A B",
                         "--organisation", "DAC 11", "--role", "superhero",
                         "--password-stdin", input="Les cigales chantent à Narbonne\n")
    assert result.exit_code == 2 and "superhero" in result.output


def test_an_unknown_organisation_type_exits_2_naming_it(initialised):
    result = initialised("create-organisation", "--name", "X", "--type", "bakery")
    assert result.exit_code == 2 and "bakery" in result.output


def test_a_weak_password_is_refused_with_the_reason(initialised):
    initialised("create-organisation", "--name", "DAC 11", "--type", "dac")
    result = initialised("create-user", "--email", "a@b.example", "--name", "A B",
                         "--organisation", "DAC 11", "--role", "admin",
                         "--password-stdin", input="azerty123456\n")
    assert result.exit_code == 2 and "les plus courants" in result.output


def test_a_duplicate_organisation_is_refused(initialised):
    initialised("create-organisation", "--name", "DAC 11", "--type", "dac")
    result = initialised("create-organisation", "--name", "dac 11", "--type", "dac")
    assert result.exit_code == 2 and "existe déjà" in result.output


def test_demo_is_idempotent_and_prints_one_account_per_role(initialised, fresh_database_url):
    first = initialised("demo")
    second = initialised("demo")
    assert first.exit_code == second.exit_code == 0
    for role in ("coordinator", "partner", "manager", "admin"):
        assert role in first.output
    engine = make_engine(fresh_database_url)
    with make_session_factory(engine)() as session:
        assert session.query(User).count() == 7
    engine.dispose()


def test_audit_verify_passes_then_reports_a_tampered_entry(initialised, fresh_database_url):
    from sqlalchemy import text

    initialised("demo")
    result = initialised("audit", "verify")
    assert result.exit_code == 0 and "intact" in result.output
    engine = make_engine(fresh_database_url)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP TRIGGER audit_events_append_only ON audit_events"))
        else:
            connection.execute(text("DROP TRIGGER audit_events_no_update"))
        connection.execute(text("UPDATE audit_events SET object_id = '999' WHERE id = 3"))
    engine.dispose()
    result = CliRunner().invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1 and "entry 3" in result.output


def test_audit_verify_prints_an_anchor_and_checks_it(initialised):
    initialised("demo")
    first = initialised("audit", "verify")
    anchor = first.output.split("anchor: ")[1].strip()
    assert initialised("audit", "verify", "--anchor", anchor).exit_code == 0
    wrong = anchor.split(":")[0] + ":" + "f" * 64
    assert initialised("audit", "verify", "--anchor", wrong).exit_code == 1
    assert initialised("audit", "verify", "--anchor", "nonsense").exit_code == 2


def test_organisation_names_match_regardless_of_case_and_accents(initialised):
    assert initialised("create-organisation", "--name", "Équipe mobile psy",
                       "--type", "cmp").exit_code == 0
    duplicate = initialised("create-organisation", "--name", "EQUIPE MOBILE PSY", "--type", "cmp")
    assert duplicate.exit_code == 2 and "existe déjà" in duplicate.output
    result = initialised("create-user", "--email", "a@b.example", "--name", "A B",
                         "--organisation", "équipe MOBILE psy", "--role", "partner",
                         "--password-stdin", input="Les cigales chantent à Narbonne\n")
    assert result.exit_code == 0, result.output


def test_an_organisation_given_as_an_odd_digit_is_unknown_not_a_crash(initialised):
    result = initialised("create-user", "--email", "a@b.example", "--name", "A B",
                         "--organisation", "²", "--role", "partner",
                         "--password-stdin", input="Les cigales chantent à Narbonne\n")
    assert result.exit_code == 2 and "²" in result.output


def test_logigramme_validate_accepts_the_shipped_tree(run):
    from coordination.services.logigrammes import SHIPPED

    path = str(__import__("pathlib").Path("coordination/workflows") / SHIPPED)
    result = run("logigramme", "validate", path)
    assert result.exit_code == 0 and "valid logigramme 2026.1" in result.output


def test_logigramme_validate_lists_every_problem_by_node(run, tmp_path):
    import yaml

    from coordination.services.logigrammes import shipped_document

    document = shipped_document()
    document["nodes"]["danger"]["field"] = "astrology"
    document["nodes"]["two_domains"]["no"] = "danger"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    result = run("logigramme", "validate", str(path))
    assert result.exit_code == 1
    assert "danger" in result.output and "astrology" in result.output and "cycle" in result.output


def test_logigramme_validate_reports_broken_yaml_with_its_line(run, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("version: 1\nnodes: [unclosed\n", encoding="utf-8")
    result = run("logigramme", "validate", str(path))
    assert result.exit_code == 1 and "YAML illisible ligne 3" in result.output


def test_publishing_an_invalid_logigramme_leaves_the_current_one(initialised, tmp_path,
                                                                 fresh_database_url):
    import yaml

    from coordination.models import LogigrammeVersion
    from coordination.services.logigrammes import shipped_document

    good = shipped_document()
    good["version"] = "2027.1"
    good_path = tmp_path / "good.yaml"
    good_path.write_text(yaml.safe_dump(good, allow_unicode=True), encoding="utf-8")
    assert initialised("logigramme", "publish", str(good_path)).exit_code == 0
    bad = dict(good, version="2027.2", start="nowhere")
    bad_path = tmp_path / "bad.yaml"
    bad_path.write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    result = initialised("logigramme", "publish", str(bad_path))
    assert result.exit_code == 1 and "nothing was published" in result.output
    engine = make_engine(fresh_database_url)
    with make_session_factory(engine)() as session:
        current = session.query(LogigrammeVersion).filter_by(is_current=True).one()
        assert current.version == "2027.1"
    engine.dispose()


def test_the_rupture_candidate_sweep_is_idempotent_and_the_observatory_exports(
        initialised, tmp_path):
    initialised("demo")
    first = initialised("raise-rupture-candidates")
    second = initialised("raise-rupture-candidates")
    assert first.exit_code == second.exit_code == 0, first.output
    assert second.output.startswith("0 new rupture candidate(s)")
    report = tmp_path / "observatoire.pdf"
    done = initialised("export-observatory", "--group-by", "type,quarter", "--output",
                       str(report))
    assert done.exit_code == 0, done.output
    assert report.read_bytes().startswith(b"%PDF")
    table = tmp_path / "observatoire.csv"
    assert initialised("export-observatory", "--format", "csv", "--output",
                       str(table)).exit_code == 0
    rows = [line.split(";") for line in table.read_text(encoding="utf-8-sig").splitlines()]
    assert rows[0] == ["Trimestre", "Ruptures"]
    assert not any(r[-1].isdigit() and 0 < int(r[-1]) < 11 for r in rows[1:])
    refused = initialised("export-observatory", "--group-by", "nom", "--output", str(table))
    assert refused.exit_code != 0 and "group_by" in refused.output


def test_erase_person_anonymises_after_confirmation_and_names_what_is_wrong(
        initialised, fresh_database_url):
    from coordination.models import Person
    from coordination.services import persons

    run = initialised
    run("create-organisation", "--name", "DAC 11", "--type", "dac")
    run("create-user", "--email", "alice@dac11.test", "--name", "Alice", "--organisation",
        "DAC 11", "--role", "coordinator", "--password-stdin",
        input="Les cigales chantent à Narbonne\n")
    engine = make_engine(fresh_database_url)
    with make_session_factory(engine)() as session:
        alice = session.query(User).one()
        person_id = persons.create_person(session, alice, {
            "birth_name": "LEFEVRE", "birth_first_names": "Jean", "birth_date": "1971-04-03",
            "sex": "M", "phone": "0612345678"}).id
    blank = run("erase-person", str(person_id), "--reason", " ", "--yes")
    assert blank.exit_code == 2 and "reason" in blank.output
    declined = run("erase-person", str(person_id), "--reason", "Demande 14", input="n\n")
    assert declined.exit_code == 1
    missing = run("erase-person", "999999", "--reason", "Demande 14", "--yes")
    assert missing.exit_code == 1 and "introuvable" in missing.output
    done = run("erase-person", str(person_id), "--reason", "Demande 14, avis DPO", input="y\n")
    assert done.exit_code == 0 and f"person {person_id} erased" in done.output
    with make_session_factory(engine)() as session:
        person = session.get(Person, person_id)
        assert person.birth_name == "ANONYMISÉ" and person.phone is None
    engine.dispose()
