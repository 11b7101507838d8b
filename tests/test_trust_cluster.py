"""Issue 24, finding 2: an authenticated cluster. A local run's cluster is TLS on loopback with
a temporary security context, so a worker (or client) without its credentials cannot join; a
plain tcp:// scheduler on another machine is refused unless asked for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from quartiere.errors import ConfigError

BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "address", ["tcp://10.0.0.5:8786", "tcp://scheduler.example:8786", "10.0.0.5:8786"]
)
def test_plain_tcp_to_another_machine_is_refused(address):
    from quartiere.sensitivity.access import check_scheduler

    with pytest.raises(ConfigError, match="plain tcp:// to another machine"):
        check_scheduler(address)
    assert check_scheduler(address, allow_insecure=True) is None


def test_loopback_tcp_and_tls_with_certificates_are_accepted(tmp_path):
    from distributed.security import Security

    from quartiere.sensitivity.access import check_scheduler

    assert check_scheduler("tcp://127.0.0.1:8786") is None
    with pytest.raises(ConfigError, match="tls:// needs certificates"):
        check_scheduler("tls://10.0.0.5:8786", Security())
    with pytest.raises(ConfigError, match="use tls://"):
        check_scheduler("ws://10.0.0.5:8786")
    security = Security.temporary()
    assert check_scheduler("tls://10.0.0.5:8786", security) is security


def test_cli_refuses_plain_tcp_in_one_line(tmp_path):
    from click.testing import CliRunner

    from quartiere.cli import main

    result = CliRunner().invoke(
        main, ["sensitivity", "--scheduler", "tcp://10.0.0.5:8786", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("error: --scheduler tcp://10.0.0.5:8786: plain tcp://")


@pytest.mark.slow
@pytest.mark.cluster  # starts a real local dask cluster
def test_a_worker_without_the_credentials_cannot_join_a_local_run():
    from distributed import Client

    from quartiere.sensitivity.engine import local_cluster

    with local_cluster(1) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tls://127.0.0.1:"), address
        rogue = subprocess.run(
            [str(BIN / "dask"), "worker", address, "--no-nanny", "--death-timeout", "8",
             "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert rogue.returncode != 0
        plain = address.replace("tls://", "tcp://")
        for target in (address, plain):
            with pytest.raises((OSError, TimeoutError, TypeError)):  # no TLS context: refused
                Client(target, timeout="3s")
        with Client(cluster) as client:  # the run itself: its credentials
            assert len(client.scheduler_info()["workers"]) == 1
