#!/usr/bin/env python3
# server.py NAME PORT - the "application" of the image tests (test-image/), copied into every image
# by the generated Dockerfile's `COPY . .`. Standard library only; runs on localhost/cfm-base.
#   GET /         -> 200 "NAME PID"
#   GET /exit/N   -> 200 "NAME exits N", then the process exits with status N (a crash on demand)
# INT/TERM/QUIT/HUP: prints "NAME got SIGxxx" and exits 0.
# CFM_FAIL_AT_START=NAME[,NAME...] in the environment: NAME exits 3 at once, every time it starts
# (a program that keeps failing; supervisord marks it FATAL).
# Listens on 127.0.0.1 only: the containers share the host's network.
import http.server, os, signal, sys

name, port = sys.argv[1], int(sys.argv[2])

if name in os.environ.get("CFM_FAIL_AT_START", "").split(","):
    print(f"{name} failing at start (CFM_FAIL_AT_START)", flush=True)
    sys.exit(3)

def on_signal(signo, _frame):
    print(f"{name} got {signal.Signals(signo).name}", flush=True)
    os._exit(0)

for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT, signal.SIGHUP):
    signal.signal(s, on_signal)

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code = None
        if self.path.startswith("/exit/"):
            code = int(self.path[len("/exit/"):])
            body = f"{name} exits {code}\n"
        else:
            body = f"{name} {os.getpid()}\n"
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()
        if code is not None:
            print(f"{name} exiting with status {code} (GET /exit/{code})", flush=True)
            os._exit(code)

    def log_message(self, *args):
        pass

server = http.server.HTTPServer(("127.0.0.1", port), Handler)
print(f"{name} listening on 127.0.0.1:{port}", flush=True)
server.serve_forever()
