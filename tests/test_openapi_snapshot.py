"""The API's contract: the live OpenAPI schema must equal the committed snapshot.

A change to any endpoint, schema or error response shows up here as a diff to review. When the
change is intended, regenerate the snapshot and commit it with the change:

    UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_openapi_snapshot.py
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path

import pytest
from django.test import Client

SNAPSHOT = Path(__file__).parent / "snapshots" / "openapi.json"


def _render(schema: object) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@pytest.mark.django_db
def test_openapi_schema_matches_snapshot(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    live = _render(response.json())

    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(live, encoding="utf-8")
        return

    if not SNAPSHOT.exists():
        pytest.fail(
            f"No snapshot at {SNAPSHOT}; create it with UPDATE_SNAPSHOTS=1 .venv/bin/pytest {__file__}"
        )
    committed = SNAPSHOT.read_text(encoding="utf-8")
    if live != committed:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                live.splitlines(keepends=True),
                fromfile="tests/snapshots/openapi.json (committed)",
                tofile="/api/v1/openapi.json (live)",
                n=3,
            )
        )
        pytest.fail(
            "The OpenAPI schema changed. If intended, regenerate the snapshot with\n"
            "    UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_openapi_snapshot.py\n"
            "and commit it.\n\n" + diff,
            pytrace=False,
        )
