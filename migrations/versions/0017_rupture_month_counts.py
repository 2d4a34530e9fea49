"""the observatory's monthly rupture counts by département and type, kept by triggers

A region's five years of ruptures (≈ 150,000) take hundreds of milliseconds to group
by type × quarter × département, however well indexed (the sort of the group-by is the
cost). The managers' and the ARS's usual questions read these monthly counts instead
(a few thousand rows). Database triggers keep them exact on every write path: the
services, the bulk loaders of the demo and the benchmarks, a person's erasure, a hand
correction in SQL.

SQLite: a later `batch_alter_table('ruptures')` rebuilds the table and drops its
triggers; such a migration must create them again (`create_triggers` below, copied).
tests/integration/test_observatory_month_counts.py fails if they are missing.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-22 23:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

TRIGGERS = ("ruptures_month_counts_insert", "ruptures_month_counts_delete",
            "ruptures_month_counts_update")

# The cell of a rupture row (OLD or NEW), in each dialect.
_SQLITE_CELL = ("CAST(strftime('%Y', {row}.occurred_on) AS INTEGER), "
                "CAST(strftime('%m', {row}.occurred_on) AS INTEGER), "
                "coalesce((SELECT departement FROM communes WHERE insee = {row}.commune_insee), "
                "''), {row}.type")
_SQLITE_ADD = ("INSERT INTO rupture_month_counts (year, month, departement, type, n) "
               "VALUES (" + _SQLITE_CELL + ", 1) ON CONFLICT (year, month, departement, type) "
               "DO UPDATE SET n = n + 1;")
_SQLITE_REMOVE = ("UPDATE rupture_month_counts SET n = n - 1 WHERE (year, month, departement, "
                  "type) = (" + _SQLITE_CELL + ");")


def create_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
CREATE OR REPLACE FUNCTION ruptures_month_counts_apply() RETURNS trigger AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE rupture_month_counts SET n = n - 1
     WHERE year = extract(year FROM OLD.occurred_on)
       AND month = extract(month FROM OLD.occurred_on)
       AND departement = coalesce((SELECT departement FROM communes
                                    WHERE insee = OLD.commune_insee), '')
       AND type = OLD.type;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    INSERT INTO rupture_month_counts (year, month, departement, type, n)
    VALUES (extract(year FROM NEW.occurred_on), extract(month FROM NEW.occurred_on),
            coalesce((SELECT departement FROM communes WHERE insee = NEW.commune_insee), ''),
            NEW.type, 1)
    ON CONFLICT (year, month, departement, type)
    DO UPDATE SET n = rupture_month_counts.n + 1;
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql""")
        op.execute("CREATE TRIGGER ruptures_month_counts_insert AFTER INSERT ON ruptures "
                   "FOR EACH ROW EXECUTE FUNCTION ruptures_month_counts_apply()")
        op.execute("CREATE TRIGGER ruptures_month_counts_delete AFTER DELETE ON ruptures "
                   "FOR EACH ROW EXECUTE FUNCTION ruptures_month_counts_apply()")
        op.execute("CREATE TRIGGER ruptures_month_counts_update AFTER UPDATE OF occurred_on, "
                   "commune_insee, type ON ruptures FOR EACH ROW "
                   "EXECUTE FUNCTION ruptures_month_counts_apply()")
        return
    op.execute("CREATE TRIGGER ruptures_month_counts_insert AFTER INSERT ON ruptures BEGIN "
               + _SQLITE_ADD.format(row="NEW") + " END")
    op.execute("CREATE TRIGGER ruptures_month_counts_delete AFTER DELETE ON ruptures BEGIN "
               + _SQLITE_REMOVE.format(row="OLD") + " END")
    op.execute("CREATE TRIGGER ruptures_month_counts_update AFTER UPDATE OF occurred_on, "
               "commune_insee, type ON ruptures BEGIN " + _SQLITE_REMOVE.format(row="OLD")
               + " " + _SQLITE_ADD.format(row="NEW") + " END")


def upgrade() -> None:
    op.create_table(
        'rupture_month_counts',
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('month', sa.Integer(), nullable=False),
        sa.Column('departement', sa.String(length=3), nullable=False),
        sa.Column('type', sa.String(length=63), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('year', 'month', 'departement', 'type',
                                name=op.f('pk_rupture_month_counts')))
    create_triggers()
    year, month = (("CAST(strftime('%Y', r.occurred_on) AS INTEGER)",
                    "CAST(strftime('%m', r.occurred_on) AS INTEGER)")
                   if op.get_bind().dialect.name == "sqlite" else
                   ("extract(year FROM r.occurred_on)", "extract(month FROM r.occurred_on)"))
    op.execute(f"INSERT INTO rupture_month_counts (year, month, departement, type, n) "
               f"SELECT {year}, {month}, coalesce(c.departement, ''), r.type, count(*) "
               f"FROM ruptures r LEFT JOIN communes c ON c.insee = r.commune_insee "
               f"GROUP BY 1, 2, 3, 4")


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}"
                   + (" ON ruptures" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ruptures_month_counts_apply()")
    op.drop_table('rupture_month_counts')
