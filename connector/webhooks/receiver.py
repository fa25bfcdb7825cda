"""The webhook receiver of `connector run --webhook-port`: aiohttp on its own thread and event loop.

POST /webhooks/<client>/<store>: verify (connector/webhooks/verify.py), write the delivery to the client's inbox
(committed to disk), answer 200, then wake the processor; nothing is processed inline, so the answer comes
within the platforms' timeouts (Shopify: 5 s, WooCommerce: its HTTP timeout) whatever the stores' APIs do.
Refusals answer 401, 404 or 413 with a short text and log one line that names the store and what was wrong,
never a signature or a secret. Any other path answers 404. Health and metrics stay on their own port.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from connector.webhooks import inbox
from connector.webhooks.verify import MAX_BODY, Accepted, Refused, StoreKeys, verify

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClientInbox:
    state_path: Path
    keys: dict[str, StoreKeys]


class Receiver:
    """`lookup(client, fresh=False)` answers the client's inbox and keys (None: unknown client);
    `on_accepted(client)` is called after a new delivery is committed."""

    def __init__(
        self,
        lookup: Callable[..., ClientInbox | None],
        on_accepted: Callable[[str], None],
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        self.lookup, self.on_accepted = lookup, on_accepted
        self.host, self.port = host, port
        self.counts = {"accepted": 0, "duplicates": 0, "refused": 0, "pings": 0}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Receiver:
        ready, failure = threading.Event(), {}

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._start_site())
            except OSError as exc:
                failure["error"] = exc
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup() if self._runner else asyncio.sleep(0))
            loop.close()

        self._thread = threading.Thread(target=serve, name="webhook-receiver", daemon=True)
        self._thread.start()
        ready.wait(10)
        if "error" in failure:
            raise failure["error"]
        return self

    async def _start_site(self) -> None:
        app = web.Application(client_max_size=MAX_BODY + 1)
        app.router.add_post("/webhooks/{client}/{store}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = site._server.sockets if site._server is not None else []  # the port chosen for port 0
        if sockets:
            self.port = sockets[0].getsockname()[1]

    def stop(self) -> None:
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(5)

    async def _handle(self, request: web.Request) -> web.Response:
        client, store = request.match_info["client"], request.match_info["store"]
        if (request.content_length or 0) > MAX_BODY:
            return self._refuse(
                Refused(413, f"{client}/{store}: body of {request.content_length} bytes is over the limit")
            )
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._refuse(Refused(413, f"{client}/{store}: body over the {MAX_BODY} byte limit"))
        loop = asyncio.get_running_loop()
        target = await loop.run_in_executor(None, self.lookup, client)
        if target is not None and store not in target.keys:  # installed since the keys were read?
            target = await loop.run_in_executor(None, self.lookup, client, True)
        keys = {client: target.keys} if target is not None else {}
        outcome = verify(client, store, request.headers, body, keys)
        if isinstance(outcome, Refused):
            return self._refuse(outcome)
        assert target is not None and isinstance(outcome, Accepted)
        if outcome.ping:
            self.counts["pings"] += 1
            log.info("%s/%s: webhook creation ping answered", client, store)
            return web.Response(text="ok")
        try:
            new = await loop.run_in_executor(None, self.keep, target, outcome)
        except Exception as exc:  # the platform retries a delivery we could not keep
            log.error(
                "%s/%s: %s delivery not kept (%s); the platform will retry it",
                client,
                store,
                outcome.topic,
                exc,
            )
            return web.Response(status=503, text="not kept; retry")
        self.counts["accepted" if new else "duplicates"] += 1
        log.debug("%s/%s: %s delivery %s", client, store, outcome.topic, "kept" if new else "already kept")
        if new:
            self.on_accepted(client)
        return web.Response(text="ok")

    def keep(self, target: ClientInbox, delivery: Accepted) -> bool:
        """Keep an accepted delivery durably, before it is answered; False: a copy was kept already."""
        return inbox.write(target.state_path, delivery)

    def _refuse(self, refused: Refused) -> web.Response:
        self.counts["refused"] += 1
        log.warning("webhook refused with %d: %s", refused.status, refused.reason)
        return web.Response(
            status=refused.status,
            text={401: "bad signature", 404: "unknown", 413: "too large"}[refused.status],
        )
