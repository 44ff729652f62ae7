"""The WSGI entry point: `gunicorn -c gateway/gunicorn.conf.py gateway.wsgi:app`.

Imported once per worker process: it sets up the JSON logs, then builds the app. Bad settings
end the process with one line; gunicorn.conf.py already checks them in the master, so under
gunicorn this only matters when it is started without that config.
"""
from __future__ import annotations

from gateway import settings as gateway_settings
from gateway.app import create_app
from gorod_runtime import logs

# 4 is gunicorn's "App failed to load": its master stops instead of respawning the worker.
settings = gateway_settings.load_or_exit(exit_code=4)
logs.configure("gateway", settings.log_level)
app = create_app(settings)
