"""The fix command's HTTP client against loopback servers: retries, limits, errors, the token."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from secure_gate.errors import EXIT_SCANNER_ERROR
from secure_gate.net import http
from secure_gate.net.http import Http, NotFound, RateLimited, ServiceError, shown_url

Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Server:
    """Answers each GET with the next of ``script`` (the last one repeats); records requests."""

    script: list[Callable[[str], Answer]] = field(default_factory=list)
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    url: str = ""

    def answer(self, path: str) -> Answer:
        step = self.script[min(len(self.seen) - 1, len(self.script) - 1)]
        return step(path)


def _serve(server_state: Server) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            server_state.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            status, headers, body = server_state.answer(self.path)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    state = Server()
    httpd, state.url = _serve(state)
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def other(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """A second origin (another port): where a redirect may lead."""
    state = Server()
    httpd, state.url = _serve(state)
    yield state
    httpd.shutdown()
    httpd.server_close()


def ok(body: object) -> Callable[[str], Answer]:
    return lambda path: (200, {"Content-Type": "application/json"}, json.dumps(body).encode())


def status(code: int, headers: dict[str, str] | None = None,
           body: bytes = b"{}") -> Callable[[str], Answer]:
    return lambda path: (code, headers or {}, body)


def client(**kwargs: object) -> tuple[Http, list[float]]:
    slept: list[float] = []
    return Http(timeout=5, sleep=slept.append, **kwargs), slept  # type: ignore[arg-type]


def test_json_answer(server: Server) -> None:
    server.script = [ok({"a": 1})]
    web, _ = client()
    assert web.json("PyPI", server.url + "/simple/x/") == {"a": 1}
    assert server.seen[0][1]["user-agent"].startswith("secure-gate/")


def test_503_then_200_is_retried_with_backoff(server: Server) -> None:
    server.script = [status(503), status(502), ok([1])]
    web, slept = client()
    assert web.json("PyPI", server.url + "/x") == [1]
    assert slept == [0.5, 1.0] and len(server.seen) == 3


def test_retry_after_is_honoured(server: Server) -> None:
    server.script = [status(429, {"Retry-After": "2"}), ok({})]
    web, slept = client()
    web.json("PyPI", server.url + "/x")
    assert slept == [2.0]


def test_retries_are_bounded_and_the_error_names_the_service(server: Server) -> None:
    server.script = [status(503)]
    web, slept = client()
    with pytest.raises(ServiceError) as caught:
        web.json("PyPI", server.url + "/simple/x/")
    assert len(server.seen) == 4 and len(slept) == 3
    assert str(caught.value).startswith("PyPI (http://127.0.0.1:")
    assert "answered HTTP 503" in str(caught.value)
    assert caught.value.exit_code == EXIT_SCANNER_ERROR


def test_a_long_retry_after_is_not_waited_for(server: Server) -> None:
    server.script = [status(429, {"Retry-After": "3600"})]
    web, slept = client()
    with pytest.raises(RateLimited, match=r"rate limit reached.*in 3600 s"):
        web.json("the GitHub API", server.url + "/repos/o/r")
    assert slept == []


def test_github_primary_rate_limit_is_a_rate_limit(server: Server) -> None:
    server.script = [status(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1"})]
    web, _ = client(retries=0)
    with pytest.raises(RateLimited):
        web.json("the GitHub API", server.url + "/repos/o/r")


def test_404_is_not_found(server: Server) -> None:
    server.script = [status(404, body=b'{"message": "Not Found"}')]
    web, slept = client()
    with pytest.raises(NotFound, match="not found"):
        web.json("the GitHub API", server.url + "/repos/o/r/git/ref/tags/v9")
    assert slept == [] and len(server.seen) == 1  # a 404 is an answer: never retried


def test_401_says_the_token_is_the_problem(server: Server) -> None:
    server.script = [status(401)]
    web, _ = client()
    with pytest.raises(ServiceError, match="token is missing, wrong"):
        web.json("the GitHub API", server.url + "/x")


def test_unreachable_is_reported_as_such(server: Server) -> None:
    web, slept = client(retries=1)
    with pytest.raises(ServiceError, match=r"^PyPI \(http://127.0.0.1:9/x\): unreachable"):
        web.json("PyPI", "http://127.0.0.1:9/x")
    assert len(slept) == 1


def test_not_json_is_an_error_naming_the_service(server: Server) -> None:
    server.script = [lambda path: (200, {}, b"<html>captive portal</html>")]
    web, _ = client()
    with pytest.raises(ServiceError, match="not JSON"):
        web.json("PyPI", server.url + "/x")


def test_an_oversized_answer_is_refused(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http, "MAX_BODY", 1000)
    server.script = [lambda path: (200, {}, b"[" + b"1," * 1000 + b"1]")]
    web, _ = client()
    with pytest.raises(ServiceError, match="more than 1000 bytes"):
        web.json("PyPI", server.url + "/x")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://h/x"])
def test_only_http_is_ever_opened(url: str) -> None:
    web, _ = client(retries=0)
    with pytest.raises(ServiceError, match="not an http"):
        web.json("PyPI", url)


def test_a_redirect_to_another_origin_drops_the_token(server: Server, other: Server) -> None:
    other.script = [ok({"moved": True})]
    server.script = [lambda path: (301, {"Location": other.url + "/repositories/1"}, b"")]
    web, _ = client()
    answer = web.json("the GitHub API", server.url + "/repos/old/name",
                      headers={"Authorization": "Bearer sekrit-token-value"})
    assert answer == {"moved": True}
    assert server.seen[0][1]["authorization"] == "Bearer sekrit-token-value"
    assert "authorization" not in other.seen[0][1]


def test_a_redirect_on_the_same_origin_keeps_the_token(server: Server) -> None:
    server.script = [lambda path: (302, {"Location": "/b"}, b""), ok({})]
    web, _ = client()
    web.json("the GitHub API", server.url + "/a", headers={"Authorization": "Bearer t"})
    assert [seen[1].get("authorization") for seen in server.seen] == ["Bearer t", "Bearer t"]


def test_a_redirect_to_a_file_url_is_refused(server: Server) -> None:
    server.script = [lambda path: (302, {"Location": "file:///etc/passwd"}, b"")]
    web, _ = client()
    with pytest.raises(ServiceError, match="not HTTP"):
        web.json("PyPI", server.url + "/a")


def test_redirect_loops_end(server: Server) -> None:
    server.script = [lambda path: (302, {"Location": "/again"}, b"")]
    web, _ = client()
    with pytest.raises(ServiceError, match="more than 5 times"):
        web.json("PyPI", server.url + "/a")


@pytest.mark.parametrize(("url", "shown"), [
    ("https://user:pw@example.com/simple/x/?token=abc#f", "https://example.com/simple/x/"),
    ("https://[::1]:8443/v2/", "https://[::1]:8443/v2/"),
    ("http://h:notaport/x", "http://h/x"),
])
def test_urls_in_messages_carry_no_credentials(url: str, shown: str) -> None:
    assert shown_url(url) == shown


def test_credentials_in_an_index_url_never_reach_the_message(server: Server) -> None:
    web, _ = client(retries=0)
    with pytest.raises(ServiceError) as caught:
        web.json("PyPI", "http://user:hunter2@127.0.0.1:9/simple/?key=hunter2")
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize("value", ["soon", "²", "9" * 400, "-5", "1e3", "Mon, 99 Foo 2026"])
def test_a_retry_after_that_is_no_number_or_date_is_waited_by_the_backoff(
        server: Server, value: str) -> None:
    # A hostile service's header is no reason for a traceback (or an endless wait).
    server.script = [status(429, {"Retry-After": value}), ok({"a": 1})]
    web, slept = client()
    assert web.json("PyPI", server.url + "/x") == {"a": 1}
    assert slept == [0.5]


@pytest.mark.parametrize("reset", ["²", "9" * 5000])
def test_a_rate_limit_reset_that_is_no_number_is_still_a_rate_limit(
        server: Server, reset: str) -> None:
    server.script = [status(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset})]
    web, _ = client(retries=0)
    with pytest.raises(RateLimited, match=r"rate limit reached \(HTTP 403\)$"):
        web.json("the GitHub API", server.url + "/repos/o/r")


def test_a_url_with_control_characters_is_refused_before_any_request(server: Server) -> None:
    # A requirements file's index URL with an escape sequence: http.client raised InvalidURL,
    # a traceback instead of an error that names the service.
    web, _ = client()
    with pytest.raises(ServiceError, match="is not a URL that can be asked"):
        web.json("the package index", server.url + "/\x1b[2J/simple/x/")
    assert server.seen == []


@pytest.fixture
def raw(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, list[bytes]]]:
    """A TCP server that answers each connection with the next raw bytes of its script."""
    import socket

    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    script: list[bytes] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)

    def answer() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(script[0])

    threading.Thread(target=answer, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", script
    listener.close()


@pytest.mark.parametrize("answer", [
    b"NOT HTTP AT ALL\r\n\r\n",
    b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(101)) + b"\r\n{}",
    b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{}",  # breaks off before its length
])
def test_an_answer_that_is_not_http_is_a_service_error(
        raw: tuple[str, list[bytes]], answer: bytes) -> None:
    url, script = raw
    script.append(answer)
    web, _ = client(retries=0)
    with pytest.raises(ServiceError) as caught:
        web.json("registry example.org", url + "/v2/")
    assert str(caught.value).startswith("registry example.org (http://127.0.0.1:")


def test_an_answer_that_trickles_in_is_given_up(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each byte within the timeout, the whole never: the run ends naming the service
    # instead of reading 32 MiB a byte at a time.
    import socket
    import time

    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    stop = threading.Event()

    def trickle() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
            while not stop.is_set():
                try:
                    conn.sendall(b" ")
                except OSError:
                    return
                time.sleep(0.05)

    threading.Thread(target=trickle, daemon=True).start()
    web = Http(timeout=0.5, retries=0)
    try:
        with pytest.raises(ServiceError, match="the answer broke off: not whole after 4 s"):
            web.json("PyPI", f"http://127.0.0.1:{listener.getsockname()[1]}/simple/x/")
    finally:
        stop.set()
        listener.close()


def test_a_redirect_from_https_to_plain_http_is_refused(server: Server) -> None:
    # An https index the repository names answers 301 to the runner's own plain-http
    # services (a metadata endpoint): never asked. The https side is an opener standing in
    # for TLS (no certificate here); the http side is the loopback server, never reached.
    import email.message
    import io
    import urllib.error
    import urllib.request

    asked: list[str] = []

    class Opener(urllib.request.OpenerDirector):
        def open(self, request: object, data: object = None, timeout: object = None) -> object:
            url = request.full_url  # type: ignore[attr-defined]
            asked.append(url)
            if url.startswith("https://"):
                headers = email.message.Message()
                headers["Location"] = server.url + "/latest/meta-data/"
                raise urllib.error.HTTPError(url, 301, "Moved", headers, io.BytesIO(b""))
            raise AssertionError(f"asked {url}")

    web = Http(timeout=5, sleep=lambda _s: None, opener=Opener())
    with pytest.raises(ServiceError, match="redirected from https to plain http; refused"):
        web.json("the package index", "https://index.example/simple/x/")
    assert asked == ["https://index.example/simple/x/"] and server.seen == []


@pytest.mark.parametrize("location", ["http://[::1/x", "http://127.0.0.1:99999/x"])
def test_a_redirect_to_something_that_is_no_url_is_a_service_error(
        server: Server, location: str) -> None:
    server.script = [lambda path: (302, {"Location": location}, b"")]
    web, _ = client()
    with pytest.raises(ServiceError, match=r"redirected to something that is not a URL|is "
                                           r"not a URL that can be asked"):
        web.json("PyPI", server.url + "/a")
    assert len(server.seen) == 1
