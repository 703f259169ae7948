"""What the request tests share: a logged-in client, and a JSON POST as a user."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client


def client_for(user: Any) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def post(user: Any, path: str, body: object | None = None) -> Any:
    return client_for(user).post(path, json.dumps(body or {}), content_type="application/json")
