"""A real Klaxon for the tests: built if needed, started once per session on its own Redis key
prefix, with a webhook receiver pointing at a recorder; stopped and its keys deleted at the end.

Also small HTTP servers the tests stand between the client and Klaxon (a proxy that loses the
first answer) or in place of Klaxon (a fake with canned answers).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import unquote, urlsplit

import pytest
import requests

ROOT = Path(__file__).resolve().parents[3]
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
PREFIX_RE = re.compile(r"klaxon-pytest-[0-9a-f]{12}")


def wait_until(check: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Polls `check` until it returns something truthy, and returns it."""
    end = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


# ---------------------------------------------------------------------- Redis, over a raw socket


class MiniRedis:
    """Just enough RESP for PING, SCAN and UNLINK (no redis package needed)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme != "redis":
            raise RuntimeError(f"the tests speak plain redis:// only, not {parts.scheme}://")
        self.sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=5)
        self.reader = self.sock.makefile("rb")
        if parts.password:
            user = [unquote(parts.username)] if parts.username else []
            self.call("AUTH", *user, unquote(parts.password))
        if parts.path.strip("/"):
            self.call("SELECT", parts.path.strip("/"))

    def call(self, *args: Any) -> Any:
        out = [b"*%d\r\n" % len(args)]
        for arg in args:
            data = arg if isinstance(arg, bytes) else str(arg).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(data), data))
        self.sock.sendall(b"".join(out))
        return self._read()

    def _read(self) -> Any:
        line = self.reader.readline()
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            return None if size < 0 else self.reader.read(size + 2)[:-2]
        if kind == b"*":
            size = int(rest)
            return None if size < 0 else [self._read() for _ in range(size)]
        raise RuntimeError(f"unexpected Redis reply {line!r}")

    def delete_prefix(self, prefix: str) -> int:
        """Deletes every key under `prefix:` (and nothing else)."""
        assert PREFIX_RE.fullmatch(prefix), prefix
        mark = (prefix + ":").encode()
        deleted, cursor = 0, b"0"
        while True:
            cursor, keys = self.call("SCAN", cursor, "MATCH", prefix + ":*", "COUNT", 1000)
            keys = [k for k in keys if k.startswith(mark)]
            if keys:
                deleted += self.call("UNLINK", *keys)
            if cursor == b"0":
                return deleted

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


# ---------------------------------------------------------------------- small HTTP servers


class _Server:
    def __init__(self, handler: type) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), name="test-http", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))


def _answer(handler: BaseHTTPRequestHandler, status: int, body: Any, headers: Optional[Dict[str, str]] = None) -> None:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(data)


class Recorder:
    """The webhook receiver's other end: keeps each notification Klaxon sends."""

    def __init__(self) -> None:
        self.notifications: List[Dict[str, Any]] = []
        self.lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(_read_body(self))
                with recorder.lock:
                    recorder.notifications.append(body["notification"])
                _answer(self, 200, {})

            def log_message(self, *args: Any) -> None:
                pass

        self.server = _Server(Handler)
        self.url = self.server.url + "/hook"

    def of(self, name: str) -> List[Dict[str, Any]]:
        """Notifications about alerts named `name`, in arrival order."""
        with self.lock:
            return [n for n in self.notifications if n["alerts"] and n["alerts"][0]["name"] == name]

    def wait_for(self, name: str, count: int = 1, timeout: float = 10.0) -> List[Dict[str, Any]]:
        return wait_until(lambda: len(self.of(name)) >= count and self.of(name), timeout, f"{count} x {name}")


class Proxy:
    """Stands between the client and Klaxon and forwards each POST. With `lose_first` set to
    "503" or "drop", the first POST to `lose_path` still reaches Klaxon, but the client gets a
    503 (Retry-After: 1) or a closed connection instead of Klaxon's 202.

    It forwards only Authorization and Content-Type, so Klaxon gives each forwarded request
    its own batch id: only the items' own `id`s can tell a retry from a new push.
    """

    def __init__(self, target: str) -> None:
        self.target = target
        self.lose_first: Optional[str] = None
        self.lose_path = "/v1/alerts"
        self.seen: List[Dict[str, Any]] = []  # {path, body, request_id, at, klaxon_status, answered}
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = _read_body(self)
                with proxy.lock:
                    first = not any(s["path"] == self.path for s in proxy.seen)
                    entry: Dict[str, Any] = {
                        "path": self.path,
                        "body": json.loads(body),
                        "request_id": self.headers.get("X-Request-Id"),
                        "at": time.monotonic(),
                    }
                    proxy.seen.append(entry)
                forwarded = requests.post(
                    proxy.target + self.path,
                    data=body,
                    headers={
                        "Authorization": self.headers.get("Authorization", ""),
                        "Content-Type": self.headers.get("Content-Type", ""),
                    },
                    timeout=10,
                )
                entry["klaxon_status"] = forwarded.status_code
                if first and self.path == proxy.lose_path and proxy.lose_first == "503":
                    entry["answered"] = 503
                    _answer(
                        self,
                        503,
                        {"error": "queue_unavailable", "message": "lost answer (test proxy)"},
                        {"Retry-After": "1"},
                    )
                elif first and self.path == proxy.lose_path and proxy.lose_first == "drop":
                    entry["answered"] = None
                    self.close_connection = True  # no answer at all: the client sees the connection close
                else:
                    entry["answered"] = forwarded.status_code
                    headers = {k: v for k, v in forwarded.headers.items() if k.lower() == "retry-after"}
                    _answer(self, forwarded.status_code, forwarded.content, headers)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = _Server(Handler)
        self.url = self.server.url

    def posts(self, path: str) -> List[Dict[str, Any]]:
        with self.lock:
            return [s for s in self.seen if s["path"] == path]


class FakeKlaxon:
    """Answers every POST with `respond(path, items)` -> (status, body, headers); records them."""

    def __init__(self, respond: Callable[[str, List[Dict[str, Any]]], Tuple[int, Any, Dict[str, str]]]) -> None:
        self.requests: List[Dict[str, Any]] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                items = json.loads(_read_body(self))
                with fake.lock:
                    fake.requests.append(
                        {"path": self.path, "items": items, "request_id": self.headers.get("X-Request-Id")}
                    )
                status, body, headers = respond(self.path, items)
                _answer(self, status, body, headers)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = _Server(Handler)
        self.url = self.server.url


@pytest.fixture
def proxy(klaxon: "KlaxonServer"):
    p = Proxy(klaxon.url)
    yield p
    p.server.close()


@pytest.fixture
def fake_klaxon():
    servers: List[FakeKlaxon] = []

    def start(respond: Callable[[str, List[Dict[str, Any]]], Tuple[int, Any, Dict[str, str]]]) -> FakeKlaxon:
        servers.append(FakeKlaxon(respond))
        return servers[-1]

    yield start
    for s in servers:
        s.server.close()


# ---------------------------------------------------------------------- the real Klaxon


RULES = [
    # A metric rule, an event rule, and one for the logging handler's events.
    {
        "name": "py_equity_low",
        "kind": "threshold",
        "metric": "py_equity",
        "op": "<",
        "bands": {"critical": 100},
        "annotations": {"title": "equity {{value}} on {{source}}"},
    },
    {
        "name": "py_stop_loss",
        "kind": "event",
        "event": "py_stop_loss_hit",
        "severity": "critical",
        "dedup": "none",
        "annotations": {"title": "stop loss on {{symbol}}"},
    },
    {
        "name": "py_log_error",
        "kind": "event",
        "event": "log_error",
        "dedup": "none",
        "annotations": {"title": "{{data.message}}", "description": "{{data.exception}}"},
    },
]


class KlaxonServer:
    def __init__(self, url: str, token: str, prefix: str, recorder: Recorder) -> None:
        self.url = url
        self.token = token
        self.prefix = prefix
        self.recorder = recorder

    def get(self, path: str, **params: Any) -> Any:
        r = requests.get(self.url + path, params=params, headers={"Authorization": f"Bearer {self.token}"}, timeout=5)
        assert r.status_code == 200, r.text
        return r.json()

    def post(self, path: str, body: Any) -> requests.Response:
        return requests.post(
            self.url + path, json=body, headers={"Authorization": f"Bearer {self.token}"}, timeout=5
        )

    def alerts(self, source: str) -> List[Dict[str, Any]]:
        return self.get("/v1/alerts", source=source)["alerts"]

    def source(self, source: str) -> Optional[Dict[str, Any]]:
        return next((s for s in self.get("/v1/sources")["sources"] if s["source"] == source), None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@pytest.fixture(scope="session")
def klaxon(tmp_path_factory: pytest.TempPathFactory):
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH: the tests run a real Klaxon")
    try:
        MiniRedis(REDIS_URL).close()
    except (OSError, RuntimeError) as exc:
        pytest.fail(f"Redis at {REDIS_URL} does not answer ({exc}): the tests need it (set REDIS_URL)")
    cli = ROOT / "dist" / "src" / "cli.js"
    if not cli.exists():
        subprocess.run(["npm", "run", "build"], cwd=ROOT, check=True, timeout=600)

    prefix = f"klaxon-pytest-{uuid.uuid4().hex[:12]}"
    token = secrets.token_hex(16)  # 32 characters
    port = _free_port()
    recorder = Recorder()
    config = {
        "redis": {"url": REDIS_URL, "prefix": prefix},
        "server": {
            "host": "127.0.0.1",
            "port": port,
            "tokens": [{"name": "py", "token": token, "sources": ["*"], "admin": True}],
        },
        "receivers": {"hook": {"type": "webhook", "url": recorder.url}},
        "routes": {"receivers": ["hook"]},
        "rules": RULES,
    }
    workdir = tmp_path_factory.mktemp("klaxon")
    config_file = workdir / "klaxon.yaml"
    config_file.write_text(json.dumps(config, indent=2))  # JSON is YAML
    log_file = workdir / "klaxon.log"
    url = f"http://127.0.0.1:{port}"
    with open(log_file, "wb") as log:
        process = subprocess.Popen(
            [node, str(cli), "serve", "--config", str(config_file), "--shutdown-grace", "2s"],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"klaxon serve exited with {process.returncode}:\n{_tail(log_file)}")
            try:
                if requests.get(url + "/ready", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"klaxon serve was not ready within 30s:\n{_tail(log_file)}")
            time.sleep(0.1)
        yield KlaxonServer(url, token, prefix, recorder)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        recorder.server.close()
        redis = MiniRedis(REDIS_URL)
        try:
            redis.delete_prefix(prefix)
        finally:
            redis.close()
