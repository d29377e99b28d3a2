"""Serving the sandbox with uvicorn on a free loopback port, in a thread of the caller's process
(so the caller controls its state directly).

uvicorn and FastAPI come with the ``testing`` extra; they are imported when a server is built,
so that the pytest plugin (registered whatever extras were installed) loads without them.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType

from partner_api._errors import ConfigurationError
from partner_api.testing._state import Sandbox


class SandboxServer:
    def __init__(self, state: Sandbox | None = None) -> None:
        try:
            import uvicorn

            from partner_api.testing._app import create_app
        except ImportError as missing:
            raise ConfigurationError(
                f"the sandbox needs {missing.name or 'its dependencies'}: "
                "install the testing extra, pip install 'partner-api[testing]'"
            ) from missing
        self.state = state or Sandbox()
        config = uvicorn.Config(
            create_app(self.state),
            host="127.0.0.1",
            port=0,
            log_level="critical",
            access_log=False,
            lifespan="off",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="sandbox", daemon=True)
        self.url = ""

    def start(self) -> SandboxServer:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the sandbox did not start")
            time.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
