"""Drive headless Chromium over the Chrome DevTools Protocol (CDP), for Neo4j Browser.

Only what the Browser test needs: open a page, evaluate JavaScript, type text, drop a
file onto the page as a user would drag it, take a screenshot. Talks to Chromium's
DevTools websocket with the ``websocket-client`` package.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.reports.chromium import FLAGS, require_chromium


class DevToolsPage:
    """One headless Chromium with one page, controlled over CDP. Use as a context manager."""

    def __init__(self, *, width: int = 1400, height: int = 1000) -> None:
        import websocket  # websocket-client (a dev dependency)

        self.profile = tempfile.TemporaryDirectory(prefix="chromium-profile-")
        self.process = subprocess.Popen(
            [
                str(require_chromium()),
                *FLAGS,
                f"--user-data-dir={self.profile.name}",
                f"--window-size={width},{height}",
                "--remote-debugging-port=0",  # Chromium picks a free port and writes it down
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Its own process group: Chromium's helper processes are stopped with it.
            start_new_session=True,
        )
        try:
            port = self._devtools_port()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=10) as answer:
                targets = json.load(answer)
            page = next(t for t in targets if t["type"] == "page")
            self.socket = websocket.create_connection(
                page["webSocketDebuggerUrl"], timeout=30, suppress_origin=True
            )
        except BaseException:
            self._stop()
            raise
        self.ids = itertools.count(1)

    def _devtools_port(self) -> int:
        port_file = Path(self.profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if port_file.exists() and port_file.read_text().strip():
                return int(port_file.read_text().split()[0])
            time.sleep(0.1)
        raise TimeoutError("Chromium did not open its DevTools port within 30 s")

    def __enter__(self) -> DevToolsPage:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.socket.close()
        finally:
            self._stop()

    def _stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        # Helper processes (renderer, GPU, crash handler) can outlive the browser by a
        # moment and still write into the profile, which made its removal fail once
        # ("Directory not empty"): stop the whole group, then remove, retrying briefly.
        with contextlib.suppress(ProcessLookupError):  # the group is gone already
            os.killpg(self.process.pid, signal.SIGKILL)
        for attempt in range(10):
            try:
                self.profile.cleanup()
                return
            except OSError:
                if attempt == 9:
                    raise
                time.sleep(0.2)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one CDP command and return its result (events in between are dropped)."""
        request_id = next(self.ids)
        self.socket.send(json.dumps({"id": request_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == request_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def js(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression!r} failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, *, timeout: float = 30, what: str = "") -> Any:
        """Poll ``expression`` until it is truthy; fail with ``what`` after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.25)
        seen = str(self.js("document.body ? document.body.innerText.slice(0, 800) : ''"))
        raise TimeoutError(
            f"gave up after {timeout} s waiting for {what or expression}; the page shows:\n{seen}"
        )

    def open(self, url: str) -> None:
        self.call("Page.enable")
        self.call("Page.navigate", url=url)

    def type_text(self, text: str) -> None:
        """Type into the focused element, as an input method would."""
        self.call("Input.insertText", text=text)

    def drop_file(self, path: Path, *, x: int, y: int) -> None:
        """Drag a file from the desktop and drop it at (x, y)."""
        data = {"items": [], "files": [str(path)], "dragOperationsMask": 1}
        for kind in ("dragEnter", "dragOver", "drop"):
            self.call("Input.dispatchDragEvent", type=kind, x=x, y=y, data=data)
            time.sleep(0.3)  # a hand takes time too; the page reacts to each step

    def screenshot(self, out: Path) -> Path:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        out.write_bytes(base64.b64decode(data))
        return out
