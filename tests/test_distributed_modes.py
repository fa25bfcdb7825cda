"""The embedded service stays free of the distributed mode: `connector run` imports neither Celery nor Redis."""

from __future__ import annotations

import subprocess
import sys


def test_the_embedded_service_imports_neither_celery_nor_redis():
    probe = (
        "import sys, connector.cli, connector.scheduler, connector.status, connector.health\n"
        "connector.cli.build_parser()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('celery', 'kombu', 'redis')))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "[]"
    # while the distributed mode's own modules do load them (the probe above could see them)
    loaded = subprocess.run(
        [sys.executable, "-c", probe.replace("connector.health\n", "connector.health, celery, redis\n")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "'celery'" in loaded.stdout and "'redis'" in loaded.stdout
