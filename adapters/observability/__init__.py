"""Operability: structured logs with request ids, Prometheus metrics at `/metrics`, and
readiness at `/readyz`. `routes.observe` adds them to the server's web app;
`logs.configure_logging` is called by the command line."""
