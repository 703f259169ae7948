"""The one path by which many items and relations reach the CMDB: file import and discovery.

``entries`` reads each described item and relation and checks it field by field; ``planning``
matches them to the CMDB by the identity rule (``cmdb.identity``) and works out what would be
created, changed or left alone, with every problem; ``writing`` applies a plan in bulk inside the
caller's transaction with the same rows, history entries and search text as the actions
(``cmdb.actions``) would write one by one.
"""
