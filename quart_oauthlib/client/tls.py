"""TLS contexts for talking to providers: extra CAs, client certificates, no surprises.

* :func:`trust_store_with` *adds* a CA bundle (a company's private CA) to the
  system's trust store, so public providers keep working next to a private one.
* :class:`ClientCertificate` holds a client certificate (RFC 8705 mutual TLS)
  and reloads it when its files change on disk (a renewed certificate is used
  without a restart).
* A caller's ``ssl.SSLContext`` is never changed: where a certificate must be
  added to it, :func:`derive_context` makes a new context with its settings.
"""

from __future__ import annotations

import os
import ssl
import threading
from dataclasses import dataclass

__all__ = ["ClientCertificate", "derive_context", "trust_store_with"]

StrPath = str | os.PathLike[str]


def trust_store_with(ca_bundle: StrPath | None = None) -> ssl.SSLContext:
    """A verifying client context that trusts the system's CAs plus ``ca_bundle``.

    Args:
        ca_bundle: A PEM file of extra CA certificates, or a directory of them
            (hashed, as ``c_rehash`` makes); None for the system's CAs alone.

    Raises:
        FileNotFoundError: ``ca_bundle`` does not exist.
        ssl.SSLError: It holds no usable certificate.
    """
    context = ssl.create_default_context()  # the system's trust store
    if ca_bundle is not None:
        path = os.fspath(ca_bundle)
        if os.path.isdir(path):
            context.load_verify_locations(capath=path)
        else:
            context.load_verify_locations(cafile=path)
    return context


def derive_context(base: ssl.SSLContext | None = None, *, verify: bool = True) -> ssl.SSLContext:
    """A new client context with ``base``'s CAs and checks; ``base`` is left as it is.

    Without ``base``, the system's trust store. The CAs copied are the ones
    ``base`` holds in memory (from a file or data; a lazily read ``capath`` is
    not listed), in addition to the system's.

    Args:
        base: The context to start from.
        verify: False turns certificate and host name checks off.
    """
    context = ssl.create_default_context()
    if base is not None:
        cadata = [cert for cert in base.get_ca_certs(binary_form=True) if isinstance(cert, bytes)]
        for der in cadata:
            context.load_verify_locations(cadata=der)
        context.minimum_version = base.minimum_version
        context.maximum_version = base.maximum_version
        context.options |= base.options
        context.check_hostname = base.check_hostname
        context.verify_mode = base.verify_mode
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


@dataclass(frozen=True)
class _Stamp:
    """What tells that a file changed: its modification time and size."""

    mtime_ns: int
    size: int


def _stamp(path: str) -> _Stamp:
    info = os.stat(path)
    return _Stamp(info.st_mtime_ns, info.st_size)


class ClientCertificate:
    """A client certificate for TLS client authentication, reloaded when its files change.

    Args:
        certfile: A PEM file with the certificate (and the key, when
            ``keyfile`` is None).
        keyfile: A PEM file with the private key.
        base: A context whose CAs and checks to start from (never modified).
        ca_bundle: Extra CAs to trust, added to the system's (with no ``base``).
        verify: False turns the server's certificate checks off (tests only).

    Raises:
        FileNotFoundError, ssl.SSLError: A file is missing or unusable (at
            construction, so configuration mistakes show at startup).
    """

    def __init__(
        self,
        certfile: StrPath,
        keyfile: StrPath | None = None,
        *,
        base: ssl.SSLContext | None = None,
        ca_bundle: StrPath | None = None,
        verify: bool = True,
    ):
        self.certfile = os.fspath(certfile)
        self.keyfile = os.fspath(keyfile) if keyfile is not None else None
        self._base = base
        self._ca_bundle = ca_bundle
        self._verify = verify
        self._lock = threading.Lock()
        self._stamps: tuple[_Stamp, ...] = ()
        self._context = self._load()
        #: How many times the files were loaded (1 at construction).
        self.loads = 1

    def context(self) -> ssl.SSLContext:
        """The context to connect with: reloaded first if a file changed on disk.

        A file that cannot be read now (being replaced) keeps the last good context.
        """
        try:
            stamps = self._current_stamps()
        except OSError:
            return self._context
        if stamps != self._stamps:
            with self._lock:
                if stamps != self._stamps:
                    try:
                        self._context = self._load()
                        self.loads += 1
                    except (OSError, ssl.SSLError):
                        pass  # half-written files: try again at the next use
        return self._context

    def _current_stamps(self) -> tuple[_Stamp, ...]:
        paths = [self.certfile] + ([self.keyfile] if self.keyfile else [])
        return tuple(_stamp(path) for path in paths)

    def _load(self) -> ssl.SSLContext:
        stamps = self._current_stamps()
        if self._base is not None:
            context = derive_context(self._base, verify=self._verify)
        else:
            context = trust_store_with(self._ca_bundle)
            if not self._verify:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
        context.load_cert_chain(self.certfile, self.keyfile)
        self._stamps = stamps
        return context

    def __repr__(self) -> str:
        return f"<ClientCertificate {self.certfile!r}>"
