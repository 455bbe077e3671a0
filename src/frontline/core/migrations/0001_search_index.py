"""The full-text index: an FTS5 table on SQLite, a tsvector column with a GIN index on PostgreSQL."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE TABLE core_search_document ("
            " kind smallint NOT NULL,"
            " object_id bigint NOT NULL,"
            " body text NOT NULL,"
            " vector tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED,"
            " PRIMARY KEY (kind, object_id))"
        )
        schema_editor.execute(
            "CREATE INDEX core_search_document_vector ON core_search_document USING GIN (vector)"
        )
    else:
        schema_editor.execute(
            "CREATE VIRTUAL TABLE core_search_fts USING fts5("
            "body, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4')"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TABLE IF EXISTS core_search_document")
    else:
        schema_editor.execute("DROP TABLE IF EXISTS core_search_fts")


class Migration(migrations.Migration):
    initial = True
    dependencies: list = []
    operations = [migrations.RunPython(create, drop)]
