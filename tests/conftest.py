"""Shared fixtures and test-run settings. Server fixtures live in tests/servers/fixtures.py.

Hypothesis profiles (``HYPOTHESIS_PROFILE`` picks one; ``ci`` is the default):

- ``ci``: no per-example deadline and no ``too_slow``/``data_too_large`` health checks (a
  loaded 2-core CI runner with ``-n auto`` makes both fail tests that are correct), and
  derandomized, so a run is reproducible and a failure repeats on a rerun;
- ``dev``: the same, but random: run it locally to explore new examples.

A test's own ``@settings(...)`` still overrides the fields it sets (e.g. ``max_examples``).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

pytest_plugins = ("tests.servers.fixtures",)

_SLOW_MACHINE_CHECKS = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("ci", deadline=None, suppress_health_check=_SLOW_MACHINE_CHECKS,
                          derandomize=True, print_blob=True)
settings.register_profile("dev", deadline=None, suppress_health_check=_SLOW_MACHINE_CHECKS,
                          print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# The default credential chain ends with the EC2 instance metadata service (169.254.169.254).
# Tests must never reach it: a test that wants IMDS points AWS_EC2_METADATA_SERVICE_ENDPOINT at
# a fake on 127.0.0.1 and removes this variable. Set here so subprocesses inherit it too.
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

# hub honours HTTP(S)_PROXY and NO_PROXY as boto3 does: a developer's proxy settings must not
# capture the loopback servers the tests talk to (tests of proxies set their own variables).
for _name in ("NO_PROXY", "no_proxy"):
    os.environ[_name] = ",".join(filter(None, [os.environ.get(_name), "127.0.0.1,localhost"]))
