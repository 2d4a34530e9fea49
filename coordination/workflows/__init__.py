"""State machines and the logigramme: plain Python, no Flask, no SQLAlchemy (DESIGN §4)."""
