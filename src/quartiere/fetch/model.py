"""What a fetch downloaded (:class:`Fetched`) and did with each source (:class:`FetchResult`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quartiere.sources import Layer, Source

__all__ = ["MANIFEST", "FetchResult", "Fetched"]

MANIFEST = "manifest.json"
"""The file beside each download that says where, when and what it came from."""


@dataclass
class Fetched:
    """One layer downloaded and validated, not yet written."""

    key: str
    layer: Layer
    data: bytes
    number_matched: int
    features: int
    pages: int
    request: dict[str, Any]
    as_of: list[str]

    @property
    def sha256(self) -> str:
        """SHA-256 of the file's bytes."""
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class FetchResult:
    """What a fetch did with one source."""

    source: Source
    directory: Path
    layers: list[Fetched]
    changed: bool = False
    edition: Path | None = None
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One line: what happened to this source."""
        counts = ", ".join(f"{f.layer.file} {f.features}" for f in self.layers)
        state = "updated" if self.changed else "unchanged"
        edition = f"; wrote edition {self.edition}" if self.edition else ""
        return f"{self.source.name}: {state} {self.directory} ({counts}){edition}"
