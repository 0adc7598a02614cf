"""The app behind a real HTTP server on a loopback port, on a thread of the test process."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import make_server


def closing_its_body(app):
    """The app, with every response body closed even when the client hangs up part way.

    Werkzeug's development server closes a body after the client's socket is drained; when the
    browser aborts a request (a stylesheet or favicon of a page it has already left), draining
    raises and the body (an open static file) is left to the garbage collector, which warns of an
    unclosed file in whichever test happens to run. A generator closes what it wraps when it is
    exhausted or collected, and a collected generator raises no warning.
    """

    def wsgi(environ, start_response):
        body = app(environ, start_response)

        def chunks():
            try:
                yield from body
            finally:
                if hasattr(body, "close"):
                    body.close()

        return chunks()

    return wsgi


@contextmanager
def serving(app, *, threaded: bool = False) -> Iterator[str]:
    """Yield the base URL of `app` served on 127.0.0.1 (one request at a time unless `threaded`)."""
    server = make_server("127.0.0.1", 0, closing_its_body(app), threaded=threaded)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
