"""a resource's unit has a singular and a plural ("table pliante" / "tables pliantes")

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-02 07:30:00

The single `unit_label` (a plural, e.g. "tables") gave wrong singulars ("tables pliante").
Existing labels are split into both forms as well as French allows without a dictionary;
the manager corrects an odd one in the resource's form.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# Little words that do not take the plural mark ("sièges de bureau", "chaises en bois").
_INVARIABLE = {"à", "au", "aux", "de", "des", "du", "d", "en", "et", "l", "la", "le", "les", "pour", "sur"}


def singular_of(label):
    """ "tables pliantes" -> "table pliante", "étagères" -> "étagère", "vidéoprojecteur" kept."""
    words = []
    for word in label.split(" "):
        if word.lower() not in _INVARIABLE and len(word) > 2 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.append(word)
    return " ".join(words)


def plural_of(label):
    """ "vidéoprojecteur" -> "vidéoprojecteurs"; "siège de bureau" -> "sièges de bureau"."""
    words = label.split(" ")
    first = words[0]
    if first and first[-1] not in "sxz":
        words[0] = first + ("x" if first.endswith(("au", "eu")) else "s")
    return " ".join(words)


def names_of(label):
    """(singular, plural) from the old label, "unité(s)" when it was empty."""
    label = " ".join((label or "").split())
    if not label:
        return "unité", "unités"
    if label.split(" ")[0].endswith(("s", "x")):  # given as a plural, as the form asked
        return singular_of(label), label
    return label, plural_of(label)


def upgrade():
    op.add_column('resource', sa.Column('unit_singular', sa.String(length=60), nullable=False, server_default=''))
    op.add_column('resource', sa.Column('unit_plural', sa.String(length=60), nullable=False, server_default=''))
    resource = sa.table(
        'resource',
        sa.column('id', sa.Integer),
        sa.column('unit_label', sa.String),
        sa.column('unit_singular', sa.String),
        sa.column('unit_plural', sa.String),
    )
    connection = op.get_bind()
    for row in connection.execute(sa.select(resource.c.id, resource.c.unit_label)).all():
        singular, plural = names_of(row.unit_label)
        connection.execute(
            resource.update()
            .where(resource.c.id == row.id)
            .values(unit_singular=singular[:60], unit_plural=plural[:60])
        )
    if connection.dialect.name != 'sqlite':  # SQLite cannot drop a default without a rebuild
        op.alter_column('resource', 'unit_singular', server_default=None)
        op.alter_column('resource', 'unit_plural', server_default=None)
    # A plain DROP COLUMN (SQLite 3.35+): rebuilding the table would cascade to its closures.
    op.drop_column('resource', 'unit_label')


def downgrade():
    op.add_column('resource', sa.Column('unit_label', sa.String(length=60), nullable=False, server_default=''))
    op.execute("UPDATE resource SET unit_label = unit_plural WHERE unit_plural <> 'unités'")
    op.drop_column('resource', 'unit_plural')
    op.drop_column('resource', 'unit_singular')
