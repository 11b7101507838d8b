"""Issue 24, finding 2: an authenticated cluster. A local run's cluster is TLS on loopback with
a temporary security context, so a worker (or client) without its credentials cannot join; a
plain tcp:// scheduler on another machine is refused unless asked for."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
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


def bounded_run(command: list[str], timeout: float) -> int:
    """Run ``command`` in a session of its own: after ``timeout`` s its whole process group is
    killed (``subprocess.run(timeout=...)`` kills only the child, then waits for the pipes that
    a grandchild may hold open), and the exit status is returned."""
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        raise


@pytest.mark.slow
@pytest.mark.cluster  # starts a real local dask cluster
def test_a_worker_without_the_credentials_cannot_join_a_local_run():
    from distributed import Client

    from quartiere.sensitivity.engine import close_quietly, local_cluster

    # bounded: the start (START_TIMEOUT_S), the rogue worker (its death timeout, and `timeout`),
    # the clients (3 s) and the close (CLOSE_TIMEOUT_S)
    cluster = local_cluster(1, timeout=60)
    try:
        address = cluster.scheduler_address
        assert address.startswith("tls://127.0.0.1:"), address
        rogue = bounded_run(
            [str(BIN / "dask"), "worker", address, "--no-nanny", "--death-timeout", "8",
             "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"], timeout=60,
        )  # fmt: skip
        assert rogue != 0
        plain = address.replace("tls://", "tcp://")
        for target in (address, plain):
            with pytest.raises((OSError, TimeoutError, TypeError)):  # no TLS context: refused
                Client(target, timeout="3s")
        with Client(cluster, timeout="30s") as client:  # the run itself: its credentials
            assert len(client.scheduler_info()["workers"]) == 1
    finally:
        close_quietly(None, cluster)


# --- SIGTERM while a local cluster starts, runs and closes -------------------------------------

SRC = Path(__import__("quartiere").__file__).resolve().parents[1]  # the sources under test
ROOT = Path(__file__).resolve().parents[1]
GI2018 = ROOT / "config/editions/gi2018.yaml"
PROGRESS = re.compile(r"^(scenarios \[|\d[\d,]* scenarios \()")
LAST_BATCH = re.compile(r"\] (\d+)/\1 ")  # the progress line of the last batch: closing next

MOMENTS = [
    ("loading", None, 1.0),  # before the cluster exists
    ("first worker process", 1, 0.0),  # the cluster is starting
    ("second worker process", 2, 0.0),
    ("workers starting", 2, 0.7),  # workers importing, registering with the scheduler
    ("workers up", 2, 1.5),
    ("first results", "scenarios [", 0.0),  # scattered, batches running
    ("last results", LAST_BATCH, 0.0),  # the client and cluster close
    ("closing", LAST_BATCH, 0.3),
]
"""(name, trigger, seconds after it): trigger None is the start, a number that many processes
descended from the run, a text or pattern the first stderr line that holds it."""


def descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*"):
            try:
                children = {int(c) for c in (task / "children").read_text().split()}
            except OSError:
                continue
            todo += sorted(children - found)
            found |= children
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def interrupted_run(out: Path, trigger: object, after: float) -> tuple[int, list[str], set[int]]:
    """A real `quartiere sensitivity --workers 2`, sent SIGTERM at the moment; its exit status,
    its stderr lines and every process that descended from it."""
    import threading

    env = {**os.environ, "PYTHONPATH": str(SRC)}
    command = [sys.executable, "-m", "quartiere.cli", "sensitivity", "--config", str(GI2018),
               "--samples", "8", "--workers", "2", "--out", str(out)]  # fmt: skip
    proc = subprocess.Popen(command, env=env, cwd=ROOT, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")))
    reader.start()
    seen: set[int] = set()
    start = time.monotonic()
    fired = None
    while proc.poll() is None and time.monotonic() - start < 60:
        seen |= descendants(proc.pid)
        now = time.monotonic()
        if fired is None and (
            trigger is None
            or (isinstance(trigger, int) and len(seen) >= trigger)
            or (isinstance(trigger, str) and any(trigger in line for line in lines))
            or (isinstance(trigger, re.Pattern) and any(trigger.search(x) for x in lines))
        ):
            fired = now
        if fired is not None and now - fired >= after:
            proc.send_signal(signal.SIGTERM)
            break
        time.sleep(0.01)
    try:
        status = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(timeout=10)
    return status, [line.rstrip("\n") for line in lines], seen


@pytest.mark.slow
@pytest.mark.cluster  # starts real local dask clusters
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
def test_sigterm_at_any_moment_of_a_local_cluster_is_one_line_and_leaves_no_worker(tmp_path):
    """Eight moments from loading to closing, two runs at a time (about a minute)."""
    from concurrent.futures import ThreadPoolExecutor

    def run(moment: tuple[str, object, float]) -> tuple[str, int, list[str], set[int]]:
        name, trigger, after = moment
        return (name, *interrupted_run(tmp_path / name.replace(" ", "-"), trigger, after))

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(run, MOMENTS))
    time.sleep(3)  # "a few seconds later"
    problems = []
    for name, status, lines, seen in outcomes:
        said = [line for line in lines if not PROGRESS.match(line)]
        survivors = sorted(pid for pid in seen if alive(pid))
        for pid in survivors:
            os.kill(pid, signal.SIGKILL)
        if status == 130:  # docs/usage.md: stopped by a signal, the previous output untouched
            expected = ["interrupted: the previous output is untouched"]
        else:  # done before the signal landed: its output whole
            expected = []
            if status != 0 or not (tmp_path / name.replace(" ", "-") / "sensitivity.md").exists():
                problems.append(f"{name}: exit status {status}")
        if said != expected or survivors:
            problems.append(f"{name}: status {status}, stderr {said}, survivors {survivors}")
    assert not problems, "\n".join(problems)


def test_a_local_cluster_that_cannot_start_fails_in_one_line(monkeypatch):
    """A start that never ends (as a cluster whose workers cannot come up) is bounded."""
    import threading

    import quartiere.sensitivity.engine as engine
    from quartiere.errors import QuartiereError

    never = threading.Event()
    monkeypatch.setattr(engine, "_new_local_cluster", lambda workers: never.wait())
    start = time.monotonic()
    with pytest.raises(QuartiereError) as raised:
        engine.local_cluster(2, timeout=0.5)
    never.set()
    assert time.monotonic() - start < 5
    assert str(raised.value) == "the local dask cluster (2 workers) did not start within 0.5 s"
