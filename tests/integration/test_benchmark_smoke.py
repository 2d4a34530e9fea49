"""The benchmarks call the services directly: a smoke run of the cheapest suite keeps them
in step with the code they measure (a signature change broke `make bench` once)."""


def test_the_meetings_benchmark_runs_in_its_quick_form():
    from benchmarks import meetings

    results = meetings.run(quick=True)
    assert [r.figure.split(",")[0] for r in results] == [
        "agenda build", "agenda PDF", "minutes PDF"]
    assert all(r.measured > 0 for r in results)
