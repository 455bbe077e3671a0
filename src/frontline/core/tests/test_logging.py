import json
import logging
import sys
from datetime import UTC, datetime

from frontline.core.logging import JsonFormatter, RequestContextFilter, TextFormatter
from frontline.core.request_context import request_id_var

CREATED = datetime(2026, 3, 14, 15, 9, 26, 535000, tzinfo=UTC).timestamp()


def _record(msg: str, *args: object, exc_info=None, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("frontline.cases", logging.WARNING, __file__, 10, msg, args, exc_info)
    record.created = CREATED
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_json_formatter_writes_one_object_with_the_request_id_and_extras():
    # given a record logged during a request, with extra fields
    token = request_id_var.set("req-0123456789")
    try:
        record = _record("case %s escalated", 42, case_id=42, reason="vip", payload={"a": 1})
        RequestContextFilter().filter(record)
    finally:
        request_id_var.reset(token)

    # when it is formatted
    line = JsonFormatter().format(record)

    # then it is one JSON object with exactly these keys
    assert "\n" not in line
    assert json.loads(line) == {
        "time": "2026-03-14T15:09:26.535+00:00",
        "level": "WARNING",
        "logger": "frontline.cases",
        "message": "case 42 escalated",
        "request_id": "req-0123456789",
        "case_id": 42,
        "reason": "vip",
        "payload": "{'a': 1}",
    }


def test_json_formatter_outside_a_request_has_no_request_id_and_keeps_unicode():
    record = _record("Grüße aus Köln")
    RequestContextFilter().filter(record)

    assert json.loads(JsonFormatter().format(record)) == {
        "time": "2026-03-14T15:09:26.535+00:00",
        "level": "WARNING",
        "logger": "frontline.cases",
        "message": "Grüße aus Köln",
    }
    assert "Grüße" in JsonFormatter().format(record)


def test_json_formatter_leaves_out_uvicorns_coloured_copy_of_the_message():
    record = _record(
        "Started server process [%d]", 7, color_message="Started server process [\x1b[36m%d\x1b[0m]"
    )

    assert json.loads(JsonFormatter().format(record))["message"] == "Started server process [7]"
    assert "color_message" not in json.loads(JsonFormatter().format(record))


def test_json_formatter_includes_the_traceback():
    try:
        raise ValueError("boom")
    except ValueError:
        record = _record("failed", exc_info=sys.exc_info())

    payload = json.loads(JsonFormatter().format(record))

    assert payload["message"] == "failed"
    assert payload["exception"].startswith("Traceback (most recent call last):")
    assert payload["exception"].endswith("ValueError: boom")


def test_text_formatter_is_one_readable_line():
    record = _record("case %s escalated", 42)

    line = TextFormatter().format(record)

    assert line.endswith(" WARNING frontline.cases: case 42 escalated")
