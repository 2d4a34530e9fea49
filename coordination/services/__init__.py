"""Service layer: load objects, apply domain rules, audit, commit in one unit of work."""
