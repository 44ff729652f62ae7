"""gunicorn settings for the gateway: `gunicorn -c gateway/gunicorn.conf.py gateway.wsgi:app`.

Everything comes from the validated gateway settings (GOROD_GATEWAY_*, GOROD_LOG_LEVEL), read
here in the master: a bad value stops gunicorn with one line before any worker starts.
"""
import glob
import os
import shutil
import tempfile

# prometheus-client chooses its multiprocess value store when it is first imported, so the
# directory must be set before anything imports it (the workers inherit the choice).
_own_metrics_dir = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="gorod-gateway-metrics-")

from gunicorn import glogging  # noqa: E402
from prometheus_client import multiprocess  # noqa: E402

from gateway import settings as gateway_settings  # noqa: E402
from gorod_runtime import logs  # noqa: E402

_settings = gateway_settings.load_or_exit()
logs.configure("gateway", _settings.log_level)


class JsonLogger(glogging.Logger):
    """gunicorn's own lines go through the root JSON handler, like the app's."""

    def setup(self, cfg):
        super().setup(cfg)
        for handler in list(self.error_log.handlers):
            self.error_log.removeHandler(handler)
        self.error_log.propagate = True


wsgi_app = "gateway.wsgi:app"
bind = f"{_settings.host}:{_settings.port}"
workers = _settings.workers
worker_class = "gthread"
threads = _settings.threads
timeout = 30
graceful_timeout = 20
keepalive = 5
loglevel = _settings.log_level.lower()
logger_class = JsonLogger
accesslog = None  # the app logs each request as JSON, by route template (no personal data)
# gunicorn's control socket has one default path per user: instances on one machine would take
# it from each other, and nothing here uses gunicornc.
control_socket_disable = True


def on_starting(server):
    # Samples left by an earlier run would be added to this run's (prometheus-client's advice).
    for path in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(path)


def child_exit(server, worker):
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
