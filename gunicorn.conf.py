"""gunicorn settings for the `web` process: threads, bound to $PORT."""

import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104 - platforms route to it
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
graceful_timeout = 20
# No keep-alive: a kept-alive connection stays with the worker that accepted it, so a few steady
# clients (the bot's session, 8 benchmark clients) can pile onto one worker while the other idles.
# Closing after each response lets the next request go to whichever worker is free first: at 8
# concurrent clients on 2 cores this halved the p99 of GET and POST /mailings (bench/api.py).
keepalive = 0
accesslog = "-"
errorlog = "-"
# Never log request headers: they carry bearer tokens.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(L)ss'
# Several gunicorn processes (web, dashboard) share a machine in local runs; none needs the control socket.
control_socket_disable = True


def _update_lanes(worker):
    """The bot's update lanes of webhook mode (wsgi.py), or None."""
    app = getattr(worker, "wsgi", None)
    return getattr(app, "extensions", {}).get("telegram_updates")


def post_worker_init(worker):
    """Webhook mode: a serving web process's bot calls the API at its own address and tells role changes."""
    lanes = _update_lanes(worker)
    if lanes is None:
        return
    host, _, port = str(worker.cfg.bind[0]).rpartition(":")
    local = "127.0.0.1" if host in ("", "0.0.0.0", "::", "[::]") else host  # noqa: S104 - the wildcard reaches us here
    lanes.start_background(api_url=f"http://{local}:{port}" if port.isdigit() else None)


def worker_exit(server, worker):
    """Let the bot finish the updates it took before the process goes."""
    lanes = _update_lanes(worker)
    if lanes is not None:
        lanes.close()
