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

import os
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np

from quartiere.errors import ConfigError
from quartiere.sensitivity.scenario import Context, evaluate_batch

__all__ = ["run_scenarios", "Progress", "IN_PROCESS_BELOW", "local_cluster"]

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


def local_cluster(workers: int | None) -> Any:
    """A ``LocalCluster`` on loopback with TLS and a temporary security context.

    Its workers die with this process (:func:`quartiere.lifetime.dask_setup`, a preload).
    """
    import logging

    from distributed import LocalCluster
    from distributed.security import Security

    return LocalCluster(
        n_workers=workers or os.cpu_count() or 1,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
        host="127.0.0.1",
        protocol="tls://",
        security=Security.temporary(),
        preload=["quartiere.lifetime"],
    )


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

    from distributed import Client, as_completed

    cluster = None
    if scheduler is None:
        cluster = local_cluster(workers)
        client = Client(cluster)
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
        for future in as_completed(futures):
            i = index[future.key]
            parts[i] = future.result()
            report(batches[i].stop - batches[i].start)
        return _stack([p for p in parts if p is not None])
    except BaseException:
        client.cancel(futures, force=True)
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
