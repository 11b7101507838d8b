"""The build's map, drawn in a second process while the GeoPackage is written.

:class:`MapProcess` forks at the start of a build, once the pipeline (geopandas) is imported and
shared with the child: the child imports matplotlib and the map code while the parent loads and
computes, then draws the map it is sent into a temporary file. The parent writes the GeoPackage and
the summary meanwhile, waits for the child and only then moves every new output into place
(:func:`staging`). Any failure of the child fails the build with one line
(:class:`~quartiere.errors.QuartiereError`) and leaves the previous outputs as they were.
Where ``fork`` is not available the map is drawn in the build's own process.
"""

from __future__ import annotations

import multiprocessing
import threading
from contextlib import suppress
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from quartiere.errors import QuartiereError
from quartiere.io.atomic import staging

__all__ = ["InProcessDrawer", "MapProcess", "draw_map", "staging"]


def draw_map(png: Path, payload: dict[str, Any]) -> None:
    """Draw the build's map (:func:`quartiere.present.build_map.map_figure`) into ``png``, and
    the lmb calibration chart when the payload has one; the map's PNG is encoded in a thread
    while the chart is drawn."""
    from concurrent.futures import ThreadPoolExecutor

    from quartiere.io.figures import render, save_png, write_png
    from quartiere.present.build_map import map_figure

    figure = map_figure(
        payload["layers"],
        title=payload["title"],
        attribution=payload["attribution"],
        notes=payload["notes"],
        language=payload.get("language", "de"),
    )
    image = render(figure)
    with ThreadPoolExecutor(1) as encoder:
        saved = encoder.submit(save_png, png, image)
        if payload.get("chart") is not None:  # the lmb calibration chart, with a school list
            from quartiere.present.schools_chart import calibration_figure

            chart_png, chart = payload["chart"]
            write_png(chart_png, calibration_figure(chart))
        saved.result()


def _serve(conn: Connection) -> None:
    """Child: import the map code, wait for one job, draw it, answer None or one error line."""
    from quartiere.lifetime import die_with_parent

    die_with_parent()  # never outlives the build (kill -9 included)
    try:
        import quartiere.io.figures  # noqa: F401 - matplotlib, while the parent loads
        import quartiere.present.build_map  # noqa: F401
        import quartiere.present.schools_chart  # noqa: F401

        job = conn.recv()
        if job is None:
            return
        draw_map(*job)
        conn.send(None)
    except EOFError:
        return
    except BaseException as exc:  # noqa: BLE001 - reported to the parent as one line
        with suppress(OSError):
            conn.send(f"{type(exc).__name__}: {exc}")


class InProcessDrawer:
    """Draws the map in the calling process, when the build waits for it: what a build called
    from Python uses (it starts no process and no thread). Same methods as :class:`MapProcess`."""

    def __init__(self) -> None:
        self._job: tuple[Path, dict[str, Any]] | None = None

    def draw(self, png: Path, payload: dict[str, Any]) -> None:
        self._job = (png, payload)

    def wait(self) -> None:
        """Draw the map now; raise one line when it could not be drawn."""
        job, self._job = self._job, None
        if job is not None:
            try:
                draw_map(*job)
            except Exception as exc:  # noqa: BLE001
                raise QuartiereError(f"map not drawn: {type(exc).__name__}: {exc}") from None

    def close(self, kill: bool = False) -> None:
        self._job = None


class MapProcess:
    """A forked process drawing one map; :meth:`draw` sends the job, :meth:`wait` its outcome."""

    def __init__(self) -> None:
        self._conn: Connection | None = None
        self._proc: Any = None
        self._job: tuple[Path, dict[str, Any]] | None = None
        self._sender: threading.Thread | None = None
        self._send_error: str | None = None
        if "fork" in multiprocessing.get_all_start_methods():
            ctx = multiprocessing.get_context("fork")
            self._conn, child = ctx.Pipe()
            self._proc = ctx.Process(target=_serve, args=(child,), daemon=True)
            self._proc.start()
            child.close()

    def draw(self, png: Path, payload: dict[str, Any]) -> None:
        if self._conn is None:
            self._job = (png, payload)  # drawn in this process by wait()
            return
        conn = self._conn

        def send() -> None:
            try:
                conn.send((png, payload))
            except OSError:  # the child died: wait() reports it
                pass
            except Exception as exc:  # noqa: BLE001
                # Closed under it (Ctrl-C, SIGTERM: close() is ending the build), or the payload
                # would not pickle: wait() reports the latter, never a thread's traceback.
                self._send_error = f"{type(exc).__name__}: {exc}"

        # The pipe holds little: send beside the build rather than wait for the child to read.
        self._sender = threading.Thread(target=send, daemon=True)
        self._sender.start()

    def wait(self) -> None:
        """Block until the map is drawn; raise one line when it could not be."""
        if self._conn is None:
            if self._job is not None:
                try:
                    draw_map(*self._job)
                except Exception as exc:  # noqa: BLE001
                    raise QuartiereError(f"map not drawn: {type(exc).__name__}: {exc}") from None
            return
        if self._sender is not None:
            self._sender.join()
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
