"""The container's HEALTHCHECK: exit 0 when the server on this machine answers /healthz.

`python -m adapters.healthcheck` needs only the standard library and reads no setting but
HASANYONE_PORT, so it starts quickly and cannot trip over configuration the server accepted.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request


def main() -> int:
    url = f"http://127.0.0.1:{os.environ.get('HASANYONE_PORT', '3000')}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            status = json.loads(response.read()).get("status")
    except (OSError, ValueError) as error:
        sys.stderr.write(f"unhealthy: {url}: {error}\n")
        return 1
    if status != "ok":
        sys.stderr.write(f"unhealthy: {url} says {status!r}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
