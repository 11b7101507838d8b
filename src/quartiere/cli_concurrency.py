"""The command line's concurrency: every process and thread the project starts, but dask's.

Library code starts no process and no thread and runs serially: called from Python,
``pipeline.build()`` draws its map in the calling process and ``write_profiles`` draws its
figures one after the other. The command line passes these helpers instead, where measured whole
runs show they earn their complexity (docs/performance.md, "Concurrency": warm and cold builds,
profiles, alternated runs on the shared 2-core machine).

* :class:`MapProcess`, used by ``quartiere build``: a process forked at the command's start, before
  the pipeline is imported, that imports matplotlib and the map code while the parent imports,
  loads and computes, then draws the map while the parent writes the GeoPackage and the summary.
  It overlaps the map (imports, figure, PNG) with the rest of the build: a warm build 1.2 x
  faster in wall time, the same CPU time. The payload is sent from a thread because the pipe
  holds 64 KiB: without it the parent would wait for a child still importing.
* :func:`forked_map`, used by ``quartiere profiles``: a pool of forked workers that draws the
  figures of the profile pages (matplotlib is single-threaded) while the parent writes each page
  and hands it to Chromium: profiles about 1.2 x faster in wall time (see the figures).

The PDF printer (``profiles/printing.py``) is the Chromium client, not a speed-up: Chromium is a
process by nature, and the asyncio loop of playwright that drives it runs in a process of its own
so that pages print while the next are drawn. The dask engine of the robustness atlas
(``sensitivity/engine.py``) owns its cluster. Reading the layers in threads and intersecting the
zone systems in a thread pool were measured and removed: neither changed a cold build's time.

Every helper process calls :func:`quartiere.lifetime.die_with_parent` first, and never holds the
output lock (:func:`quartiere.lifetime.forget_locks`, registered by the command line).
"""

from __future__ import annotations

import multiprocessing
from contextlib import suppress
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from quartiere.errors import QuartiereError

__all__ = ["MapProcess"]


def _serve(conn: Connection) -> None:
    """Map process: import the map code, wait for one job, draw it, answer None or one line."""
    from quartiere.lifetime import die_with_parent

    die_with_parent()  # never outlives the build (kill -9 included)
    try:
        import quartiere.io.figures  # noqa: F401 - matplotlib, while the parent loads
        import quartiere.present.build_map  # noqa: F401
        import quartiere.present.schools_chart  # noqa: F401
        from quartiere import report

        job = conn.recv()
        if job is None:
            return
        report.draw_map(*job)
        conn.send(None)
    except EOFError:
        return
    except BaseException as exc:  # noqa: BLE001 - reported to the parent as one line
        with suppress(OSError):
            conn.send(f"{type(exc).__name__}: {exc}")


class MapProcess:
    """A forked process drawing one map; :meth:`draw` sends the job, :meth:`wait` its outcome.

    Same methods as :class:`quartiere.report.InProcessDrawer`; where ``fork`` is not available
    the map is drawn by one of those, in this process.
    """

    def __init__(self) -> None:
        from quartiere.report import InProcessDrawer

        self._conn: Connection | None = None
        self._proc: Any = None
        self._here = InProcessDrawer()
        self._send_error: str | None = None
        if "fork" in multiprocessing.get_all_start_methods():
            ctx = multiprocessing.get_context("fork")
            self._conn, child = ctx.Pipe()
            self._proc = ctx.Process(target=_serve, args=(child,), daemon=True)
            self._proc.start()
            child.close()

    def draw(self, png: Path, payload: dict[str, Any]) -> None:
        if self._conn is None:
            self._here.draw(png, payload)  # drawn in this process by wait()
            return
        try:
            # The child waits for it by now (its imports are shorter than the parent's), so
            # the pipe takes the payload at once.
            self._conn.send((png, payload))
        except OSError:  # the child died: wait() reports it
            pass
        except Exception as exc:  # noqa: BLE001 - the payload would not pickle: wait() says so
            self._send_error = f"{type(exc).__name__}: {exc}"

    def wait(self) -> None:
        """Block until the map is drawn; raise one line when it could not be."""
        if self._conn is None:
            self._here.wait()
            return
        if self._send_error is not None:
            self.close(kill=True)
            raise QuartiereError(
                f"map not drawn: {self._send_error}; the previous outputs are untouched"
            )
        try:
            error = self._conn.recv()
        except (EOFError, OSError):
            self._proc.join()
            error = f"the map process ended with exit code {self._proc.exitcode}"
        self.close()
        if error is not None:
            raise QuartiereError(f"map not drawn: {error}; the previous outputs are untouched")

    def close(self, kill: bool = False) -> None:
        """End the child: let it finish (no job, or done), or with ``kill`` stop it at once."""
        self._here.close()
        if kill and self._proc is not None and self._proc.is_alive():
            self._proc.terminate()
        if self._conn is not None:
            with suppress(OSError):
                self._conn.send(None)
            self._conn.close()
            self._conn = None
        if self._proc is not None:
            self._proc.join(timeout=5)
            if self._proc.is_alive():
                self._proc.terminate()
                self._proc.join()
            self._proc = None
