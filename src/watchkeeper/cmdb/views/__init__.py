"""The CMDB pages, one module per concern."""
