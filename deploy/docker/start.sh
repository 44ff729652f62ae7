#!/bin/sh
# Default command of a Gorod image: start the component named by GOROD_SERVICE.
set -eu
case "${GOROD_SERVICE:?GOROD_SERVICE is not set}" in
  gateway)  exec gunicorn -c gateway/gunicorn.conf.py gateway.wsgi:app ;;
  identity) exec python -m gorod_runtime.run identity.service:IdentityService ;;
  accruals) exec python -m gorod_runtime.run accruals.service:AccrualsService ;;
  meters)   exec python -m gorod_runtime.run meters.service:MetersService ;;
  payments) exec python -m gorod_runtime.run payments.service:PaymentsService ;;
  notify)   exec python -m gorod_runtime.run notify.service:NotifyService ;;
  *) echo "gorod-start: unknown GOROD_SERVICE=${GOROD_SERVICE}" >&2; exit 2 ;;
esac
