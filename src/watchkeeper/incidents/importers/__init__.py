"""Importers that load incidents from other tools (``watchkeeper import …``)."""
