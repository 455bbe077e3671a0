"""Browser tests' live server: one request at a time on SQLite.

The test database on SQLite is in memory, and Django's live server shares its one connection
with every request thread. A page that loads several HTMX fragments at once (the customer page
loads its cases and its orders) then had two threads on one SQLite connection ("bad parameter
or other API misuse"). Django's server answers one request at a time when it is not threaded
(and closes each connection, so the browser's keep-alive cannot hold it). PostgreSQL runs
keep the threaded server.
"""

import os

from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread


class SerialWSGIServer(WSGIServer):
    """Django's plain WSGI server, taking the live server's shared connections (which the
    live-server thread installs for itself, where this server handles every request)."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.connections_override = connections_override


if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
    LiveServerThread.server_class = SerialWSGIServer
