"""Territorial care coordination: a DAC and its partners (see README.md)."""

__version__ = "0.1.0"
