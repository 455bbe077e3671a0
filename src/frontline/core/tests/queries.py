"""The fixed queries every signed-in request costs before its view runs, for query-count tests:
the session row (none when sessions are cached, i.e. with Redis) and the user with its
two-factor state (one query)."""

from django.conf import settings

SESSION_QUERIES = 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1
REQUEST_QUERIES = SESSION_QUERIES + 1
