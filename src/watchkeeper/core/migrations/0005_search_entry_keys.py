"""Search entry ids become ``content type id * 2**40 + record id`` (see ``SearchEntry.for_record``).

On SQLite the FTS5 triggers are set aside during the re-keying (they would delete and re-insert
every entry one by one) and the full-text table is rebuilt once after it.
"""

import importlib

from django.db import migrations

#: 1099511627776 is 2**40, ``SearchEntry.KEY_SPAN``.
REKEY = "UPDATE core_searchentry SET id = content_type_id * 1099511627776 + CAST(object_id AS {})"
SEARCH_INDEX = importlib.import_module("watchkeeper.core.migrations.0002_search_index")
TRIGGERS = ("core_searchentry_ai", "core_searchentry_ad", "core_searchentry_au")


def rekey(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        execute(REKEY.format("BIGINT"))
        return
    for trigger in TRIGGERS:
        execute(f"DROP TRIGGER IF EXISTS {trigger}")
    execute(REKEY.format("INTEGER"))
    for statement in SEARCH_INDEX.SQLITE_FORWARD:
        if not statement.startswith("CREATE VIRTUAL TABLE"):
            execute(statement)  # the three triggers, then the rebuild


class Migration(migrations.Migration):
    dependencies = [("core", "0004_notification_templates_and_inbox")]

    operations = [migrations.RunPython(rekey, migrations.RunPython.noop, elidable=False)]
