"""Run scenarios in batches: in-process for small plans, on dask.distributed otherwise.

* no ``scheduler`` and few scenarios (or ``workers=0``): evaluated in this process;
* no ``scheduler``: a ``LocalCluster`` sized to the machine (one single-threaded worker process per
  core, or ``workers``), bound to loopback and speaking TLS with a temporary security context
  (``Security.temporary()``: a fresh key and certificate that only this run holds), so that no
  other user of the machine can join it or submit work to it; its workers die with this process;
* ``scheduler="tls://HOST:8786"`` with a :class:`distributed.security.Security` (certificates, or
  a dask configuration): the same code on an existing cluster (workers need quartiere installed
  in the same version);
* ``scheduler="tcp://..."``: only to a loopback address, or with ``allow_insecure``: whoever can
  reach a plain scheduler can run code as the user who submits to it.

The prepared context is scattered once (broadcast to every worker); each task evaluates a batch of
sample rows and returns compact arrays. Ctrl-C cancels the outstanding futures.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np

from quartiere.errors import ConfigError, QuartiereError
from quartiere.sensitivity.scenario import Context, evaluate_batch

__all__ = [
    "CLOSE_TIMEOUT_S",
    "IN_PROCESS_BELOW",
    "START_TIMEOUT_S",
    "Progress",
    "close_quietly",
    "local_cluster",
    "run_scenarios",
]

#: Below this many scenarios a local run stays in-process: starting workers costs more.
IN_PROCESS_BELOW = 400


class Progress:
    """A one-line progress bar with rate and ETA on stderr (plain lines when not a terminal)."""

    def __init__(self, total: int, enabled: bool = True, stream: Any = None) -> None:
        self.total = total
        self.done = 0
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.start = time.perf_counter()
        self.last = 0.0
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.next_decile = 1

    def update(self, n: int) -> None:
        self.done += n
        if not self.enabled:
            return
        now = time.perf_counter()
        finished = self.done >= self.total
        if self.tty:
            if now - self.last < 0.2 and not finished:
                return
        elif self.done * 10 < self.next_decile * self.total and not finished:
            return
        else:
            self.next_decile = self.done * 10 // self.total + 1
        self.last = now
        elapsed = now - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else float("nan")
        width = 30
        filled = int(width * self.done / self.total)
        line = (
            f"scenarios [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
            f"{rate:,.0f}/s ETA {eta:4.0f} s"
        )
        end = "\n" if finished or not self.tty else ""
        self.stream.write(("\r" if self.tty else "") + line + end)
        self.stream.flush()


START_TIMEOUT_S = 120.0
"""A local cluster whose scheduler and workers are not all up within this many seconds fails."""

CLOSE_TIMEOUT_S = 30.0
"""How long closing the client and the local cluster may take; their workers die with this
process in any case (:func:`quartiere.lifetime.dask_setup`)."""


class _Outcome:
    """What a call run by :func:`_uninterrupted` came to."""

    def __init__(self) -> None:
        self.finished = False
        self.value: Any = None
        self.error: BaseException | None = None
        self.interrupt: BaseException | None = None


def _uninterrupted(
    work: Callable[[], Any],
    timeout: float | None,
    name: str,
    stop: Any = None,
    after_interrupt: float | None = None,
) -> _Outcome:
    """Run ``work()`` in a thread of its own and wait for it, through interrupts.

    dask starts, runs and closes a cluster in many steps on its event loop: a KeyboardInterrupt
    (a signal, as the command line turns SIGTERM into one) raised into the middle of them leaves a
    half-started or half-closed cluster that prints tracebacks at exit. The work runs where no
    signal lands (Python delivers signals to the main thread); an interrupt while it runs is kept
    in :attr:`_Outcome.interrupt` for the caller to raise once the work has ended, and sets
    ``stop`` (a :class:`threading.Event`) so that the work can end early.

    Parameters
    ----------
    timeout
        Seconds to wait at most (None: until the work ends).
    after_interrupt
        Seconds to wait at most once interrupted.
    """
    import threading

    outcome = _Outcome()

    def run() -> None:
        try:
            outcome.value = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            outcome.error = exc
        finally:
            outcome.finished = True
            ended.set()

    # an Event, not Thread.join: a join interrupted by a signal takes the thread for ended
    # (Python 3.11, bpo-45274's fix)
    ended = threading.Event()
    thread = threading.Thread(target=run, name=f"quartiere-{name}", daemon=True)
    thread.start()
    deadline = None if timeout is None else time.monotonic() + timeout
    while not ended.is_set():
        left = 0.25 if deadline is None else min(0.25, deadline - time.monotonic())
        if left <= 0:
            break
        try:
            ended.wait(left)
        except KeyboardInterrupt as exc:  # raised once the work has ended
            if outcome.interrupt is None:
                outcome.interrupt = exc
                if stop is not None:
                    stop.set()
                if after_interrupt is not None:
                    end = time.monotonic() + after_interrupt
                    deadline = end if deadline is None else min(deadline, end)
    return outcome


def _new_local_cluster(workers: int | None) -> Any:
    import logging

    from distributed import LocalCluster
    from distributed.security import Security

    return LocalCluster(
        n_workers=workers or os.cpu_count() or 1,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,  # no dashboard; its HTTP server (health) on a free loopback port
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        # a worker that loses its scheduler as the run is stopped logs errors; a failed task
        # reaches the caller as its exception
        silence_logs=logging.CRITICAL,
        host="127.0.0.1",
        protocol="tls://",
        security=Security.temporary(),
        preload=["quartiere.lifetime"],
    )


def _forget_unstarted(before: set[int]) -> None:
    """A cluster whose start timed out is closed by nobody: dask's exit hook would try, wait
    and print a traceback. Its workers die with this process (their parent-death signal)."""
    from distributed.deploy.spec import SpecCluster

    for cluster in list(getattr(SpecCluster, "_instances", ())):
        if id(cluster) not in before:
            cluster.shutdown_on_close = False


def local_cluster(workers: int | None, timeout: float = START_TIMEOUT_S) -> Any:
    """A ``LocalCluster`` on loopback with TLS and a temporary security context, started.

    Its workers die with this process (:func:`quartiere.lifetime.dask_setup`, a preload).

    Parameters
    ----------
    workers
        Worker processes (one thread each); default: one per core.
    timeout
        Seconds the start may take.

    Raises
    ------
    quartiere.errors.QuartiereError
        The cluster did not start, or not within ``timeout`` (one line).
    KeyboardInterrupt
        A signal during the start: raised once the cluster is up again closed (no half-started
        cluster is left behind).
    """
    from distributed.deploy.spec import SpecCluster

    before = {id(c) for c in getattr(SpecCluster, "_instances", ())}
    started = _uninterrupted(lambda: _new_local_cluster(workers), timeout, "cluster-start")
    if started.finished and started.value is not None and started.interrupt is not None:
        close_quietly(None, started.value)
    if started.interrupt is not None:
        if not started.finished:
            _forget_unstarted(before)
        raise started.interrupt
    if not started.finished:
        _forget_unstarted(before)
        raise QuartiereError(
            f"the local dask cluster ({workers or os.cpu_count() or 1} workers) did not start "
            f"within {timeout:g} s"
        )
    if started.error is not None:
        lines = str(started.error).strip().splitlines()
        reason = f"{type(started.error).__name__}: {lines[0] if lines else ''}"
        raise QuartiereError(f"the local dask cluster did not start: {reason}") from None
    return started.value


def close_quietly(client: Any, cluster: Any, timeout: float = CLOSE_TIMEOUT_S) -> None:
    """Close ``client`` and then ``cluster`` (either may be None) within ``timeout`` seconds.

    A signal while they close is raised when they are closed; a close that fails or does not
    end in time is given up silently (the workers die with this process).
    """

    def close() -> None:
        with contextlib.suppress(Exception):
            if client is not None:
                client.close(timeout=timeout)
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close(timeout=timeout)
            cluster.shutdown_on_close = False  # closed, or given up: not again at exit

    closed = _uninterrupted(close, timeout + 5, "cluster-close")
    if closed.interrupt is not None:
        raise closed.interrupt


def _batches(n: int, size: int) -> list[slice]:
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


def _stack(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def run_scenarios(
    ctx: Context,
    plan: Any,
    rows: np.ndarray,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    batch_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    security: Any = None,
) -> dict[str, np.ndarray]:
    """Evaluate every sample row; results are stacked in row order whatever the engine.

    ``security``: how to reach ``scheduler`` (:func:`quartiere.sensitivity.access.check_scheduler`
    is the caller's check of plain ``tcp://``; here ``tls://`` without certificates is refused).
    """
    n = len(rows)
    report = progress or (lambda _: None)
    local_only = scheduler is None and (workers == 0 or (workers is None and n < IN_PROCESS_BELOW))
    if local_only:
        size = batch_size or 64
        done = []
        for part in _batches(n, size):
            done.append(evaluate_batch(ctx, plan, rows[part]))
            report(part.stop - part.start)
        return _stack(done)

    import threading

    stop = threading.Event()
    outcome = _uninterrupted(
        lambda: _run_distributed(
            ctx, plan, rows, scheduler, workers, batch_size, report, security, stop
        ),
        None,
        "scenarios",
        stop=stop,
        after_interrupt=START_TIMEOUT_S + CLOSE_TIMEOUT_S,
    )
    if outcome.interrupt is not None:
        raise outcome.interrupt
    if outcome.error is not None:
        raise outcome.error
    return outcome.value  # type: ignore[no-any-return]


class _Stopped(Exception):
    """The run was interrupted: end it, close the cluster."""


def _run_distributed(
    ctx: Context,
    plan: Any,
    rows: np.ndarray,
    scheduler: str | None,
    workers: int | None,
    batch_size: int | None,
    report: Callable[[int], None],
    security: Any,
    stop: Any,
) -> dict[str, np.ndarray] | None:
    """The scenarios on dask, in a thread of their own (:func:`_uninterrupted`): start or reach
    the cluster, scatter, submit, collect; ``stop`` set ends the run at the next step, and
    whatever was started is closed before this returns."""
    from distributed import Client, wait
    from distributed import TimeoutError as DaskTimeout

    n = len(rows)
    cluster = None
    if scheduler is None:
        cluster = local_cluster(workers)
        if stop.is_set():
            close_quietly(None, cluster)
            return None
        try:
            client = Client(cluster, timeout=f"{CLOSE_TIMEOUT_S:.0f}s")
        except Exception as exc:
            close_quietly(None, cluster)
            raise QuartiereError(f"cannot connect to the local dask cluster: {exc}") from None
    else:
        from quartiere.sensitivity.access import check_scheduler

        # tls:// needs certificates; whether plain tcp:// may leave the machine is the
        # caller's policy (the command line refuses it without --insecure-scheduler)
        security = check_scheduler(scheduler, security, allow_insecure=True)
        try:
            client = Client(scheduler, timeout="10s", security=security)
        except (OSError, ValueError, TypeError) as exc:
            raise ConfigError(
                f"--scheduler {scheduler}: cannot reach the dask scheduler: {exc}"
            ) from None
    futures: list[Any] = []
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        size = batch_size or max(16, min(500, n // (n_workers * 8) or 1))
        if stop.is_set():
            raise _Stopped
        shared = client.scatter(ctx, broadcast=True, hash=False)
        plan_future = client.scatter(plan, broadcast=True, hash=False)
        batches = _batches(n, size)
        token = uuid.uuid4().hex[:12]
        index = {}
        for i, part in enumerate(batches):
            future = client.submit(
                evaluate_batch,
                shared,
                plan_future,
                rows[part],
                pure=False,
                key=f"quartiere-scenarios-{token}-{i}",
            )
            futures.append(future)
            index[future.key] = i
        parts: list[dict[str, np.ndarray] | None] = [None] * len(batches)
        pending = set(futures)
        while pending:
            if stop.is_set():
                raise _Stopped
            try:
                done, pending = wait(pending, timeout=0.25, return_when="FIRST_COMPLETED")
            except (DaskTimeout, TimeoutError):
                continue
            for future in sorted(done, key=lambda f: index[f.key]):
                i = index[future.key]
                parts[i] = future.result()
                report(batches[i].stop - batches[i].start)
        return _stack([p for p in parts if p is not None])
    except _Stopped:
        client.cancel(futures, force=True)
        return None
    except BaseException:
        client.cancel(futures, force=True)
        raise
    finally:
        if cluster is not None:
            close_quietly(client, cluster)
        else:
            client.close()
