"""What a test-cluster pod's container "runs": a tiny HTTP server inside the pod's network
namespace (started by the harness agent with `ip netns exec`).

  python podserver.py --kind httpd|nginx --pod NAME --namespace NS [--port 80] [--ready-file F]

`httpd` answers Apache's default page, `nginx` the nginx welcome page. Every answer carries
X-Pod-Name and X-Pod-Namespace, so a test can tell which endpoint served it, and
X-Client-Addr, the peer address it saw. Standard library
only: it starts in a fraction of a second.
"""

import argparse
import contextlib
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HTTPD_PAGE = "<html><body><h1>It works!</h1></body></html>\n"

NGINX_PAGE = """<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
"""

PAGES = {"httpd": (HTTPD_PAGE, "Apache/2.4.53 (Unix)"), "nginx": (NGINX_PAGE, "nginx/1.21.6")}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--kind", choices=sorted(PAGES), required=True)
    ap.add_argument("--pod", required=True)
    ap.add_argument("--namespace", required=True)
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--ready-file")
    args = ap.parse_args(argv)
    page, server_name = PAGES[args.kind]
    body = page.encode()

    class Handler(BaseHTTPRequestHandler):
        server_version = server_name
        sys_version = ""
        protocol_version = "HTTP/1.1"

        def _answer(self, with_body):
            # Every path gets the page: these servers stand in for the images, not for their
            # configuration.
            status, payload = 200, body
            self.send_response(status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("X-Pod-Name", args.pod)
            self.send_header("X-Pod-Namespace", args.namespace)
            # The peer address as the pod saw it: tells a preserved client IP from a SNAT.
            self.send_header("X-Client-Addr", self.client_address[0])
            self.end_headers()
            if with_body:
                self.wfile.write(payload)

        def do_GET(self):
            self._answer(True)

        def do_HEAD(self):
            self._answer(False)

        def log_message(self, fmt, *a):  # an access log line like httpd's, on stderr
            line = fmt % a
            sys.stderr.write(f"{self.client_address[0]} - - [{self.log_date_time_string()}] {line}\n")
            sys.stderr.flush()

    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer.daemon_threads = True
    server = ThreadingHTTPServer(("0.0.0.0", args.port), Handler)
    if args.ready_file:
        with open(args.ready_file, "w") as f:
            f.write("listening\n")
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
