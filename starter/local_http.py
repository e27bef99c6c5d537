"""The small HTTP servers `ea run` starts beside Temporal (the codec server, the calendar feeds):
threaded, in the background for `ea run`, in the foreground for their own command."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer


class LocalHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name=type(self).__name__, daemon=True)
        thread.start()
        return thread

    def serve_until_interrupted(self) -> None:
        """Serve in the foreground until Ctrl-C."""
        try:
            self.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self.server_close()
