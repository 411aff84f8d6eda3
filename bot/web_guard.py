"""What every HTTP request to the Signpost server meets before a channel sees it: a cap on the body (a clear
413), no Rasa version banner, and security headers on every answer; and who the request is from (the
network address a rate allowance counts, whether it was made on this machine itself).

Installed once per server by every channel's blueprint (``install``), whichever channels credentials.yml
turns on.
"""
from __future__ import annotations

import ipaddress
from typing import Any, Optional

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

#: The largest body the server reads at all (Sanic's default is 100 MB). Each route then allows what it needs
#: (the REST channel a few KB, ``bot.channels.rest``) and says so with a 413 the client can read: a body
#: refused unread closes the connection while the client may still be sending, and it sees a reset instead.
MAX_BODY_BYTES = 1024 * 1024
#: Headers on every answer. Pages set their own Content-Security-Policy (the console's, the demo's); any HTML
#: without one gets ``PAGE_POLICY``.
HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
PAGE_POLICY = ("default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
               "frame-ancestors 'none'")
#: Rasa's own routes that say which Rasa this is (and so which of its advisories apply)
BANNERS = {"/", "/version"}


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


def from_this_machine(request: Request) -> bool:
    """Made on 127.0.0.1 (or ::1) itself: what a developer's curl or the project's own tools do, directly or
    through the scaled mode's nginx on this machine. A council's reverse proxy says who it passes on in
    X-Forwarded-For (the last entry is the one it added, so a client cannot forge it); a request carrying
    ``Forwarded`` or ``X-Real-IP`` instead is never taken as local."""
    if request.headers.get("forwarded") or request.headers.get("x-real-ip"):
        return False
    sockname = getattr(request.conn_info, "sockname", None) if request.conn_info else None
    local = sockname[0] if isinstance(sockname, tuple) and sockname else ""
    return _is_loopback(request.ip or "") and _is_loopback(str(local)) and _is_loopback(client_address(request))


def client_address(request: Request) -> str:
    """The address a rate allowance counts. Behind a proxy on this machine, the address the proxy saw (the
    last X-Forwarded-For entry, the one it added itself); otherwise the connection's own."""
    peer = request.ip or ""
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded and _is_loopback(peer):
        return forwarded.split(",")[-1].strip()[:64] or peer
    return peer


def counted_address(request: Request) -> Optional[str]:
    """The address a rate allowance counts, or None for a request made on this machine itself (the project's
    own tools and load tests, which speak for many residents at once)."""
    return None if from_this_machine(request) else client_address(request)


async def _refuse_banners(request: Request) -> Optional[HTTPResponse]:
    if request.path in BANNERS and request.method in ("GET", "HEAD"):
        if request.path == "/":
            return response.text("Signpost is running.\n")
        return response.text("Not found\n", status=404)
    return None


async def _add_headers(request: Request, answer: HTTPResponse) -> None:
    if answer is None:
        return
    for name, value in HEADERS.items():
        answer.headers.setdefault(name, value)
    if (answer.content_type or "").startswith("text/html"):
        answer.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        answer.headers.setdefault("X-Frame-Options", "DENY")


async def before_start(app: Any, loop: Any) -> None:
    """The listener every channel's blueprint adds, so the guard is on whichever channels are turned on."""
    install(app)


def install(app: Any) -> None:
    """Once per app, before it serves: later connections read the body cap when they open."""
    if getattr(app.ctx, "signpost_guard", False):
        return
    app.ctx.signpost_guard = True
    app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES
    app.register_middleware(_refuse_banners, "request")
    app.register_middleware(_add_headers, "response")
