"""`python -m bot.probe`: a container's health check. Asks the signoff on this machine for
/healthz, on SIGNOFF_HEALTH_PORT (Socket Mode) or else port 3000 (HTTP, as the image serves it),
and exits 0 only when it answers 200."""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    port = os.environ.get("SIGNOFF_HEALTH_PORT") or "3000"
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=4) as reply:
            return 0 if reply.status == 200 else 1
    except urllib.error.HTTPError as error:
        print(
            f"signoff: {url} answered {error.code}: {error.read().decode().strip()}",
            file=sys.stderr,
        )
    except OSError as error:
        print(f"signoff: {url}: {error}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
