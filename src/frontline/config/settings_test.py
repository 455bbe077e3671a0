"""Settings for the test suite: the real settings, with test-friendly defaults.

DATABASE_URL / REDIS_URL from the environment still apply, so the same suite runs on
SQLite and on PostgreSQL + Redis.
"""

import os
from urllib.parse import urlsplit

os.environ.setdefault("HTTPS", "false")
os.environ.setdefault("LOG_FORMAT", "text")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("TASKS_BACKEND", "immediate")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdefghij")
# On Redis (make test-pg) each test process gets a database of its own, 1-15 (0 is left to the
# demo): tests may cache.clear(), which is FLUSHDB, without wiping a parallel worker's keys.
if os.environ.get("REDIS_URL"):
    _worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    _db = 1 + (int(_worker) if _worker.isdigit() else 0) % 15
    os.environ["REDIS_URL"] = urlsplit(os.environ["REDIS_URL"])._replace(path=f"/{_db}").geturl()

from .settings import *  # noqa: F403
from .settings import DATABASES, STORAGES

# Fast hashing: argon2 is tested explicitly in accounts/tests.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": ""}  # in-memory
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
STORAGES = {**STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
# Tests that render the queue after writing rows directly would see a cached page; the cache's
# own tests turn it on.
QUEUE_PAGE_CACHE_SECONDS = 0
# Query-count tests count the user's query on every request; the user cache's own tests turn it on.
USER_CACHE = False
