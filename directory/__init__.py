"""Service directory of the territory (DESIGN §6): its own models, importers and API."""
