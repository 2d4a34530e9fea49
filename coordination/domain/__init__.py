"""Plain-Python domain vocabulary and rules: no Flask, no SQLAlchemy."""
