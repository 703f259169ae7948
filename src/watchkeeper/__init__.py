"""Watchkeeper: IT service management for the day-to-day service operation of an IT department."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("watchkeeper")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
