"""The full-text GIN index without a pending list (PostgreSQL).

With GIN's default ``fastupdate``, new entries wait in an unsorted pending list until a vacuum
merges them, and every search reads that whole list: after a bulk load (an import, the seed)
searches were 4 to 30 times slower until autovacuum came by (measured in ``bench/logistics_bench``:
"aurion headphones" 29.7 ms before, 4.8 ms after). Frontline searches far more often than it
writes documents, so writes pay the index update at once and searches stay fast.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER INDEX core_search_document_vector SET (fastupdate = off)")
        schema_editor.execute("SELECT gin_clean_pending_list('core_search_document_vector'::regclass)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER INDEX core_search_document_vector RESET (fastupdate)")


class Migration(migrations.Migration):
    dependencies = [("core", "0002_scheduled_run")]
    operations = [migrations.RunPython(forwards, backwards)]
