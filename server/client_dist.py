"""The student client wheel the server hands out: built from the repository's client/ folder (the same
source files the server runs) into `<data_dir>/client/<source hash>/`, on first request and again whenever
those sources change. See client/build_backend.py and docs/client.md."""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from server.errors import ClientNotAvailable
from server.refusals import refusal

DEFAULT_CLIENT_DIR = Path(__file__).resolve().parent.parent / "client"


@dataclass(frozen=True)
class BuiltWheel:
    path: Path
    filename: str
    sha256: str
    version: str


def _load_backend(client_dir: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("rnn_grader_client_build_backend", client_dir / "build_backend.py")
    if spec is None or spec.loader is None:
        raise ClientNotAvailable(refusal("client_unavailable", reason=f"no client build backend in {client_dir}"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class ClientWheel:
    """Builds at most once per source state, under a lock; concurrent processes write atomically."""

    def __init__(self, cache_dir: Path, client_dir: Path | None = None) -> None:
        self.cache_dir = cache_dir
        self.client_dir = (client_dir or DEFAULT_CLIENT_DIR).resolve()
        self._lock = threading.Lock()
        self._backend: ModuleType | None = None
        self._built: dict[str, BuiltWheel] = {}

    def _backend_module(self) -> ModuleType:
        if self._backend is None:
            if not (self.client_dir / "build_backend.py").is_file():
                raise ClientNotAvailable(refusal(
                    "client_unavailable", reason=f"this installation has no client sources ({self.client_dir}); "
                    "install the server from a clone of the repository or set RNN_GRADER_CLIENT_DIR"))
            self._backend = _load_backend(self.client_dir)
        return self._backend

    def get(self) -> BuiltWheel:
        with self._lock:
            backend = self._backend_module()
            root = self.client_dir.parent
            try:
                digest = str(backend.source_digest(root, self.client_dir))
            except OSError as exc:
                reason = f"the client sources are incomplete: {exc}"
                raise ClientNotAvailable(refusal("client_unavailable", reason=reason)) from None
            if digest not in self._built:
                out = self.cache_dir / digest[:16]
                path = out / str(backend.wheel_name(root, self.client_dir))
                if not path.is_file():
                    path = Path(backend.build(out, root, self.client_dir))
                data = path.read_bytes()
                self._built = {digest: BuiltWheel(path=path, filename=path.name,
                                                  sha256=hashlib.sha256(data).hexdigest(),
                                                  version=str(backend.version(root)))}
            return self._built[digest]
