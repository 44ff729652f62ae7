"""gunicorn settings for the gateway (environment variables override)."""
import os
import tempfile

from prometheus_client import multiprocess

bind = f"{os.environ.get('GOROD_GATEWAY_HOST', '127.0.0.1')}:{os.environ.get('GOROD_GATEWAY_PORT', '8080')}"
workers = int(os.environ.get("GOROD_GATEWAY_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GOROD_GATEWAY_THREADS", "16"))
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = None  # request logs come from the app as JSON, without personal data
# Metrics from every worker process are summed on /metrics.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="gorod-gateway-metrics-"))


def child_exit(server, worker):
    multiprocess.mark_process_dead(worker.pid)
