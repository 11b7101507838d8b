"""Print HTML pages to A4 PDFs with headless Chromium (playwright driving the system browser).

:class:`PdfPrinter` runs the browser in a process of its own, started before the caller does its
heavy work: Chromium starts while the caller reads its data, and prints each page as soon as the
caller hands it over, while the next pages are still being drawn. The process is forked while the
caller has no other thread (so nothing is copied half-locked) and talks over one pipe.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from quartiere.errors import QuartiereError

__all__ = ["CHROMIUM_ARGS", "INSTALL_HINT", "PdfPrinter", "find_chromium"]

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = "apt-get install chromium (or set QUARTIERE_CHROMIUM to a Chromium binary)"
LOCAL = re.compile(r"^(?!file:|data:).*")
"""Every URL but ``file:`` and ``data:``: aborted, so a page can fetch nothing."""


def find_chromium() -> str | None:
    """The Chromium binary to print with: ``QUARTIERE_CHROMIUM`` or the first on ``PATH``."""
    configured = os.environ.get("QUARTIERE_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _serve(conn: Any, chromium: str, parallel: int, parent: int | None = None) -> None:
    """The printer process: launch Chromium, then print every path received until ``None``;
    answer ``None`` when done or the error as one line."""
    import asyncio
    import signal

    from playwright.async_api import async_playwright

    from quartiere.lifetime import die_with_parent

    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # stopped by the caller: no traceback
    # never outlives the caller (not even one killed before this line); Chromium's driver ends
    # with its pipe, and Chromium with its driver
    die_with_parent(parent)

    async def run() -> None:
        loop = asyncio.get_running_loop()
        todo: asyncio.Queue[str | None] = asyncio.Queue()

        async def receive() -> None:
            while True:
                path = await loop.run_in_executor(None, conn.recv)
                if path is None:
                    for _ in range(parallel):
                        todo.put_nowait(None)
                    return
                todo.put_nowait(path)

        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                context = await browser.new_context()
                await context.route(LOCAL, lambda route: route.abort())

                async def worker() -> None:
                    page = await context.new_page()  # one page reused for its share of the files
                    while (path := await todo.get()) is not None:
                        html = Path(path)
                        # Pages are self-contained: "load" is all there is to wait for. The
                        # first is opened from its file; the next replace its document (about a
                        # quarter less work for Chromium than a navigation), keeping the URL the
                        # relative links resolve against: all pages are in one directory.
                        if page.url.startswith("file:"):
                            await page.set_content(html.read_text(encoding="utf-8"))
                        else:
                            await page.goto(html.resolve().as_uri(), wait_until="load")
                        await page.pdf(
                            path=str(html.with_suffix(".pdf")),
                            format="A4",
                            print_background=True,
                            prefer_css_page_size=True,
                        )

                await asyncio.gather(receive(), *(worker() for _ in range(parallel)))
            finally:
                await browser.close()

    answer = None
    try:
        asyncio.run(run())
    except Exception as exc:  # reported to the caller as one line
        lines = str(exc).strip().splitlines()
        answer = f"{type(exc).__name__}: {lines[0] if lines else ''}"
    with suppress(OSError):  # the caller has gone (it stopped on an error of its own)
        conn.send(answer)
    conn.close()


class PdfPrinter:
    """Headless Chromium in a process of its own, printing each page handed to :meth:`print`.

    Use as a context manager; :meth:`finish` waits for the last PDF and raises
    :class:`QuartiereError` with one line if printing failed. Leaving the block without
    :meth:`finish` (an error elsewhere) stops the printer.
    """

    def __init__(self, chromium: str, parallel: int = 2) -> None:
        import multiprocessing

        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        context: Any = multiprocessing.get_context(method)
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child, chromium, max(1, parallel), os.getpid()), daemon=True
        )
        self._finished = False
        self._process.start()
        child.close()

    @classmethod
    @contextmanager
    def maybe(cls, chromium: str | None, parallel: int = 2) -> Iterator[PdfPrinter | None]:
        """A running printer for ``chromium``, or None when there is no browser to print with."""
        if chromium is None:
            yield None
            return
        with cls(chromium, parallel) as printer:
            yield printer

    def print(self, html: Path) -> None:
        """Print ``html`` to the PDF beside it (A4, the page's print stylesheet), in the
        background."""
        with suppress(OSError):  # the printer has stopped: finish() says why
            self._conn.send(str(html))

    def finish(self) -> None:
        """Wait until every page is printed."""
        self._finished = True
        try:
            with suppress(OSError):
                self._conn.send(None)
            error = self._conn.recv()
        except (EOFError, OSError):
            error = "the printer process ended unexpectedly"
        self._process.join()
        if error is not None:
            raise QuartiereError(f"printing the PDFs with Chromium failed: {error}")

    def __enter__(self) -> PdfPrinter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """End the printer: after :meth:`finish` wait for it, else stop it at once, so that no
        PDF is written after this returns (the caller may remove the folder it prints into)."""
        self._conn.close()
        if self._finished:
            self._process.join(timeout=10)
        if self._process.is_alive():  # stopped before its work was done: no need to wait
            self._process.terminate()
            self._process.join()
