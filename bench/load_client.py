"""A load-test client that speaks Streamlit's own WebSocket protocol, as a browser tab does, without a browser.

Each session opens ``ws://HOST:PORT/_stcore/stream`` (subprotocol ``streamlit``), then asks for pages one after
another the way the browser's router does: a ``BackMsg`` whose ``rerun_script`` carries the page's URL path
(``ClientState.page_name``) and query string. The server runs ``app.py`` (the guard, the sign-in, the navigation)
and the page script for that session, and streams ``ForwardMsg`` protobufs back; a page view ends at
``script_finished``. Its render time is from sending the request to receiving ``script_finished``; its errors are
the exceptions the page sent (``delta.new_element.exception``), a run that did not finish successfully, a page
not found, a timeout or a dropped connection.

What it exercises: the server's whole path for a page view (WebSocket, session, script run, caches, DuckDB,
Altair specs serialised into the messages). What it does not: drawing in a browser (no Vega, no React), the
browser's message cache (every message is sent in full: the client reports no cached hashes), static files, and
widget interaction beyond opening pages.

Sign-in: the app served without sign-in configured runs as the local commissioner, and only for a session from this
computer (loopback, no forwarding headers, a Host of this computer): docs/operations.md, "Sign-in and roles". The
client connects on loopback and so is served exactly as a local browser is; it needs no other way in.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

#: The reading pages a session cycles through (URL paths in pages/_app/page_table.py).
READING_PAGES = ("overview", "mandated-contacts", "outcomes", "inequalities", "ncmp", "returns")
#: How long one page view may take before it counts as an error.
VIEW_TIMEOUT_S = 60.0


@dataclass
class PageView:
    """One page view: its URL path, seconds from the request to ``script_finished``, and what went wrong."""

    page: str
    seconds: float
    errors: list[str] = field(default_factory=list)
    messages: int = 0
    megabytes: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors


def stream_url(base_url: str) -> str:
    """The WebSocket URL of a served app's session stream (``http://h:p`` -> ``ws://h:p/_stcore/stream``)."""
    return (
        base_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1).rstrip("/")
        + "/_stcore/stream"
    )


def rerun_request(page: str, query_string: str = "") -> bytes:
    """The ``BackMsg`` a browser sends to open ``page`` (its URL path)."""
    msg = BackMsg()
    state = msg.rerun_script
    state.page_name = page
    state.query_string = query_string
    state.context_info.timezone = "Europe/London"
    state.context_info.locale = "en-GB"
    return msg.SerializeToString()


def _errors_in(msg: ForwardMsg) -> list[str]:
    """What a ``ForwardMsg`` says went wrong (an exception element, a page not found, a failed run)."""
    kind = msg.WhichOneof("type")
    if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
        element = msg.delta.new_element
        if element.WhichOneof("type") == "exception":
            return [f"{element.exception.type}: {element.exception.message}"[:300]]
    if kind == "page_not_found":
        return [f"page not found: {msg.page_not_found.page_name}"]
    if kind == "script_finished" and msg.script_finished not in (
        ForwardMsg.FINISHED_SUCCESSFULLY,
        ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
    ):
        return [f"script finished with {ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)}"]
    return []


async def view_page(ws, page: str, query_string: str = "", timeout: float = VIEW_TIMEOUT_S) -> PageView:
    """Open ``page`` on an open session and read its messages until the run finishes."""
    view = PageView(page, 0.0)
    started = time.perf_counter()
    try:
        await ws.send(rerun_request(page, query_string))
        async with asyncio.timeout(timeout):
            while True:
                data = await ws.recv()
                view.messages += 1
                view.megabytes += len(data) / 1e6
                msg = ForwardMsg()
                msg.ParseFromString(data)
                view.errors += _errors_in(msg)
                if msg.WhichOneof("type") == "script_finished":
                    if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                        view.errors.clear()  # the router reran the script (st.rerun, st.switch_page): keep reading
                        continue
                    break
    except TimeoutError:
        view.errors.append(f"no script_finished within {timeout:.0f} s")
    except Exception as exc:  # a dropped connection or a protocol error is an error of this view
        view.errors.append(f"{type(exc).__name__}: {exc}"[:300])
    view.seconds = time.perf_counter() - started
    return view


async def open_session(base_url: str):
    """A WebSocket session on a served app, as a browser tab opens it."""
    from websockets.asyncio.client import connect

    return await connect(
        stream_url(base_url), subprotocols=["streamlit"], max_size=None, open_timeout=30, ping_interval=None
    )


async def view_each(base_url: str, pages: tuple[str, ...]) -> list[PageView]:
    """One session that views each of ``pages`` once (a first visit: what fills the server's caches)."""
    ws = await open_session(base_url)
    try:
        return [await view_page(ws, page) for page in pages]
    finally:
        await ws.close()


async def run_session(
    base_url: str, pages: tuple[str, ...], until: float, views: list[PageView], offset: int = 0
) -> None:
    """One reader: open a session and view ``pages`` in turn (starting at ``offset``) until ``until`` (monotonic
    seconds); every view is appended to ``views``. A failed connection is one error view."""
    try:
        ws = await open_session(base_url)
    except Exception as exc:
        views.append(PageView("(connect)", 0.0, [f"{type(exc).__name__}: {exc}"[:300]]))
        return
    try:
        index = offset
        while time.monotonic() < until:
            view = await view_page(ws, pages[index % len(pages)])
            views.append(view)
            index += 1
            if not view.ok and "Closed" in " ".join(view.errors):
                break
    finally:
        await ws.close()


async def run_sessions(
    base_urls: list[str], sessions: int, seconds: float, pages: tuple[str, ...] = READING_PAGES
) -> list[PageView]:
    """``sessions`` concurrent readers for ``seconds``, spread round-robin over ``base_urls`` (one app process, or
    a writer and its replicas); every page view they made."""
    views: list[PageView] = []
    until = time.monotonic() + seconds
    await asyncio.gather(
        *(run_session(base_urls[i % len(base_urls)], pages, until, views, offset=i) for i in range(sessions))
    )
    return views


def sessions_views(
    base_urls: list[str], sessions: int, seconds: float, pages: tuple[str, ...] = READING_PAGES
) -> list[PageView]:
    """:func:`run_sessions` from synchronous code."""
    return asyncio.run(run_sessions(base_urls, sessions, seconds, pages))
