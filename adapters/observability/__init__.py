"""Operability: structured logs with request ids, Prometheus metrics at `/metrics`, and
readiness at `/readyz`. The runtime builds the metrics (adapters/bootstrap.py);
`routes.observe` adds them and readiness to the server's web app; `logs.configure_logging` is
called by the command line."""
