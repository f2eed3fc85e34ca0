"""gunicorn's settings for running the app for real (README, "Running it for real").

    gunicorn -c gunicorn.conf.py "pwa:create_app()"

Each value can be set from the environment, so a deployment changes none of this file.
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")  # behind the proxy, on loopback
# Sync workers: each request has a whole process. On PostgreSQL 2 x cores + 1 keeps the cores
# busy while others wait on the database. On SQLite, writers queue for one lock whatever the
# count; more workers only wait longer (bench/load.py measures both).
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# A first sync of a large caseload takes under a second; anything near this is stuck.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (with jitter, so not all at once): memory a
# long-lived process gathers is given back.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# Each worker makes its own app: a database connection opened before a fork would be shared by
# every worker (a SQLite or PostgreSQL connection must never be).
preload_app = False
# A request line's path only, never its query: a search (`/caseload?q=...`) holds what a worker
# typed of a patient's name, which has no place in a log.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
# Requests the proxy has already checked: forwarded headers are the app's to read (ProxyFix,
# FLASK_TRUSTED_PROXIES), not gunicorn's.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
