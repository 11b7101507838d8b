"""How ``quartiere sensitivity`` reaches a dask scheduler: TLS, or loopback, or asked for.

:func:`check_scheduler` refuses an address that would let others run code as the user (plain
``tcp://`` to another machine, unless ``--insecure-scheduler``; ``tls://`` without
certificates); :func:`security_from` makes a :class:`distributed.security.Security` from the
certificate options or a dask configuration file; :func:`cluster_options` are those options.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from quartiere.errors import ConfigError

__all__ = ["check_scheduler", "cluster_options", "security_from"]


def _path(name: str, text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(name, type=click.Path(path_type=Path), default=None, help=text)


_OPTIONS: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
    _path("--tls-ca-file", "tls://: the CA certificate the cluster's certificates chain to."),
    _path("--tls-cert", "tls://: this client's certificate (PEM)."),
    _path("--tls-key", "tls://: this client's private key (PEM; default: in --tls-cert)."),
    _path("--dask-config", "tls://: a dask configuration file (YAML) with distributed.comm.tls."),
    click.option(
        "--insecure-scheduler",
        is_flag=True,
        help="Allow plain tcp:// to another machine (anyone who reaches it can run code as you).",
    ),
]


def cluster_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The TLS options of ``--scheduler`` and ``--insecure-scheduler``, as click options."""
    for option in reversed(_OPTIONS):
        func = option(func)
    return func


def _loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_scheduler(address: str, security: Any = None, allow_insecure: bool = False) -> Any:
    """The security to connect to ``address`` with; refuse an address that is not safe.

    Parameters
    ----------
    address
        ``tls://HOST:PORT``, or ``tcp://HOST:PORT`` (loopback only unless ``allow_insecure``).
    security
        A :class:`distributed.security.Security`; for ``tls://`` without one, dask's configuration
        (``distributed.comm.tls``) is read.
    allow_insecure
        Allow plain ``tcp://`` to a non-loopback address.

    Returns
    -------
    distributed.security.Security or None

    Raises
    ------
    ConfigError
        One line: the address is not ``tls://`` or ``tcp://``, ``tls://`` has no certificates, or
        plain ``tcp://`` leaves this machine without ``allow_insecure``.
    """
    from distributed.comm.addressing import get_address_host, parse_address
    from distributed.security import Security

    try:
        scheme, _ = parse_address(address, strict=False)
        host = get_address_host(address)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"--scheduler {address}: not a scheduler address ({exc})") from None
    if scheme == "tls":
        security = security if security is not None else Security()
        if not security.tls_ca_file or not security.tls_client_cert:
            raise ConfigError(
                f"--scheduler {address}: tls:// needs certificates: --tls-ca-file, --tls-cert "
                "and --tls-key, or --dask-config FILE with distributed.comm.tls"
            )
        return security
    if scheme != "tcp":
        raise ConfigError(f"--scheduler {address}: use tls://HOST:PORT (or tcp:// on loopback)")
    if not _loopback(host) and not allow_insecure:
        raise ConfigError(
            f"--scheduler {address}: plain tcp:// to another machine lets anyone who reaches "
            "the scheduler run code as you; use tls:// with certificates, or pass "
            "--insecure-scheduler"
        )
    return security


def security_from(
    tls_ca_file: Path | None = None,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
    dask_config: Path | None = None,
) -> Any:
    """A dask ``Security`` from the certificate options or a dask configuration file.

    Parameters
    ----------
    tls_ca_file, tls_cert, tls_key
        ``--tls-ca-file``, ``--tls-cert``, ``--tls-key``.
    dask_config
        ``--dask-config``: YAML in dask's configuration format; read only while the ``Security``
        is made (the options win). Its content is never echoed in an error.

    Returns
    -------
    distributed.security.Security or None
        None when no option is given.
    """
    ca_file, cert, key = tls_ca_file, tls_cert, tls_key
    if ca_file is None and cert is None and key is None and dask_config is None:
        return None
    from distributed.security import Security

    for option, path in (("--tls-ca-file", ca_file), ("--tls-cert", cert), ("--tls-key", key)):
        if path is not None and not path.is_file():
            raise ConfigError(f"{option} {path}: no such file")
    import dask.config

    if dask_config is not None:
        from quartiere.yaml_io import safe_load

        try:
            settings = safe_load(dask_config.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"--dask-config {dask_config}: cannot be read ({exc})") from None
        except Exception:  # noqa: BLE001 - a YAML error: never echo the file's content
            raise ConfigError(f"--dask-config {dask_config}: not a YAML file") from None
        if not isinstance(settings, dict):
            raise ConfigError(f"--dask-config {dask_config}: not a dask configuration (a mapping)")
    else:
        settings = {}
    with dask.config.set(settings):  # only while the Security reads it (options win)
        return Security(
            tls_ca_file=str(ca_file) if ca_file else None,
            tls_client_cert=str(cert) if cert else None,
            tls_client_key=str(key) if key else None,
        )
