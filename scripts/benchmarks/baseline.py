"""The login a user might write instead of miauth: Misskey.py's MiAuth class and a callback
served by the standard library's http.server. Prints the authorisation URL on stderr, the token
on stdout. Usage: baseline.py INSTANCE_URL"""

import http.server
import sys
import threading

from misskey import MiAuth

came_back = threading.Event()


class Callback(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"You can close this tab.")
        came_back.set()

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Callback)
threading.Thread(target=server.serve_forever, daemon=True).start()
callback = f"http://127.0.0.1:{server.server_port}/callback"
mia = MiAuth(sys.argv[1], name="baseline", callback=callback, permission=["read:account"])
print(mia.generate_url(), file=sys.stderr, flush=True)
came_back.wait()
print(mia.check(), flush=True)
