"""x-request-id: a uuid4 per HTTP request, unique across threads and forked processes."""

from __future__ import annotations

import os
import threading
import uuid
import warnings

import httpx

from partner_api._wire import Wire

PER_THREAD = 10_000
THREADS = 8
CHILDREN = 4


def _ids(wire: Wire, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        request = httpx.Request("GET", "https://api.test/v1/products")
        ids.append(wire._stamp(request))
    return ids


def test_100k_request_ids_from_threads_and_forks_are_unique_uuid4() -> None:
    wire = Wire(
        lambda: httpx.MockTransport(lambda request: httpx.Response(200)),
        httpx.URL("https://api.test"),
        owned=False,
    )
    collected: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        ids = _ids(wire, PER_THREAD)
        with lock:
            collected.extend(ids)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    pipes = []
    for thread in threads:
        thread.start()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork() while threads run: intended here
        for _ in range(CHILDREN):
            read, write = os.pipe()
            if os.fork() == 0:  # the child
                os.close(read)
                with os.fdopen(write, "w") as out:
                    out.write("\n".join(_ids(wire, 5_000)))
                os._exit(0)
            os.close(write)
            pipes.append(read)
    for thread in threads:
        thread.join()
    for read in pipes:
        with os.fdopen(read) as source:
            collected.extend(source.read().split("\n"))
        os.wait()
    assert len(collected) == THREADS * PER_THREAD + CHILDREN * 5_000 == 100_000
    assert len(set(collected)) == len(collected)
    assert all(uuid.UUID(value).version == 4 for value in collected[::997])
