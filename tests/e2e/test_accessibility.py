"""axe-core (vendored in tests/e2e/vendor, MPL-2.0, for the tests only) on every page the
journeys visit, for each role: no serious or critical violation."""

from pathlib import Path

import pytest

from tests.e2e.test_sign_in_journeys import sign_in

pytestmark = pytest.mark.e2e

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
PAGES = {
    "camille.roux@dac11.example": [
        "/", "/appels/nouveau", "/appels/", "/appels/activite", "/appels/1",
        "/situations/", "/situations/1", "/situations/3", "/situations/2/fiche-de-recueil",
        "/personnes/?q=lefevre", "/personnes/1", "/reunions/", "/reunions/1",
        "/reunions/1/seance", "/reunions/programmer", "/actions/", "/actions/1",
        "/annuaire/?q=cmp", "/notifications/", "/ruptures/candidats",
        "/observatoire", "/mon-compte"],
    "nadia.benali@csapa11.example": ["/", "/situations/", "/situations/3", "/actions/",
                                     "/reunions/1"],
    "helene.vidal@dac11.example": ["/", "/observatoire", "/appels/activite"],
    "admin@dac11.example": ["/", "/admin/organisations", "/admin/utilisateurs",
                            "/admin/audit", "/admin/logigramme", "/admin/motifs-appel",
                            "/personnes/fusions", "/annuaire/signalements"],
}


def serious_violations(page) -> list[str]:
    page.evaluate(AXE)
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ': ' + v.help + ' — ' +
                 v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
    }""")
    return list(found)


@pytest.mark.parametrize("email", list(PAGES))
def test_pages_have_no_serious_accessibility_violation(browser, live_server, email):
    # axe is injected by the test (bypassing the CSP that forbids it to everyone else)
    context = browser.new_context(base_url=live_server, locale="fr-FR", bypass_csp=True,
                                  viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, email)
    problems = {}
    for path in PAGES[email]:
        response = page.goto(path)
        assert response.status < 400, f"{path}: {response.status}"
        found = serious_violations(page)
        if found:
            problems[path] = found
    context.close()
    assert not problems, "\n".join(f"{p}: {v}" for p, vs in problems.items() for v in vs)
