"""Where remote assistance may connect: the workstation networks and ports an administrator allows.

The bridge carries VNC to a workstation and nothing else, so a target is checked twice, when
the technician asks (`remote.request`) and again when the bridge connects (a name may resolve
elsewhere by then), and the bridge connects to the address that was checked. A host name is
resolved and every address it resolves to must be allowed. Whatever the settings, these are
never a target: loopback, link-local, multicast, unspecified and broadcast addresses, the cloud
metadata addresses and names, and the helpdesk's own listening addresses and ports (app, API,
bridge).
"""

import ipaddress
import socket
from dataclasses import dataclass

from helpdesk.core.config import Network, Settings, get_settings, parse_networks, parse_ports
from helpdesk.core.errors import N_, InvalidInput

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

NEVER = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network", 0.0.0.0 reaches the machine itself
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, where 169.254.169.254 (metadata) lives
        "224.0.0.0/4",
        "240.0.0.0/4",
        "100.100.100.200/32",  # Alibaba Cloud metadata
        "192.0.0.192/32",  # Oracle Cloud metadata
        "::/128",
        "::1/128",
        "fe80::/10",
        "ff00::/8",
        "fd00:ec2::254/128",  # AWS metadata over IPv6
    )
)
METADATA_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.azure.com",
        "metadata.tencentyun.com",
        "localhost",
    }
)


def _plain(address: Address) -> Address:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_local(address: Address) -> bool:
    """Whether this machine holds the address (binding to it succeeds only then)."""
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((str(address), 0))
        except OSError:
            return False
    return True


def resolve(host: str) -> list[str]:
    """Every address `host` resolves to (the system's resolver: /etc/hosts, DNS)."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class Policy:
    networks: tuple[Network, ...]
    ports: tuple[tuple[int, int], ...]
    own: tuple[tuple[str, int], ...]  # (listening host, port) of the app, the API and the bridge

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> "Policy":
        settings = settings or get_settings()
        own = [(settings.host, settings.port), (settings.bridge_host, settings.remote_bridge_port)]
        if settings.api_port:
            own.append((settings.api_host or settings.host, settings.api_port))
        return cls(parse_networks(settings.remote_networks), parse_ports(settings.remote_ports), tuple(own))

    @property
    def configured(self) -> bool:
        return bool(self.networks and self.ports)

    def require_configured(self) -> None:
        if not self.configured:
            raise InvalidInput(
                N_(
                    "Remote assistance is not available yet: an administrator must allow the workstation "
                    "networks and ports (HELPDESK_REMOTE_NETWORKS, HELPDESK_REMOTE_PORTS)."
                )
            )

    def check(self, host: str, port: int) -> list[str]:
        """The addresses `host` stands for, all of them allowed on `port`; InvalidInput otherwise."""
        self.require_configured()
        if not any(first <= port <= last for first, last in self.ports):
            allowed = ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in self.ports)
            raise InvalidInput(N_("Port {port} is not an allowed VNC port ({allowed})."), port=port, allowed=allowed)
        name = host.strip().rstrip(".").lower()
        if name in METADATA_NAMES or name.endswith(".localhost"):
            raise InvalidInput(N_("{host} can never be used for remote assistance."), host=host)
        try:
            found = [ipaddress.ip_address(name.strip("[]"))]
        except ValueError:
            try:
                found = [ipaddress.ip_address(a.split("%")[0]) for a in resolve(name)]
            except (OSError, UnicodeError, ValueError):
                found = []
            if not found:
                raise InvalidInput(N_("The workstation name {host} could not be resolved."), host=host) from None
        addresses = list(dict.fromkeys(map(_plain, found)))
        for address in addresses:
            # A name is shown with the address it resolved to; an address on its own.
            shown = host if host.strip("[]") == str(address) else f"{host} ({address})"
            if any(address in net for net in NEVER if net.version == address.version) or self._is_own(address, port):
                raise InvalidInput(N_("{host} can never be used for remote assistance."), host=shown)
            if not any(address in net for net in self.networks if net.version == address.version):
                raise InvalidInput(N_("{host} is not in a network allowed for remote assistance."), host=shown)
        return [str(a) for a in addresses]

    def allows(self, host: str | None, port: int) -> bool:
        if not host:
            return False
        try:
            self.check(host, port)
        except InvalidInput:
            return False
        return True

    def _is_own(self, address: Address, port: int) -> bool:
        for own_host, own_port in self.own:
            if own_port != port:
                continue
            try:
                bound = [ipaddress.ip_address(own_host)]
            except ValueError:
                try:
                    bound = [ipaddress.ip_address(a.split("%")[0]) for a in resolve(own_host)]
                except OSError:
                    bound = []
            for listening in map(_plain, bound):
                if listening == address or (listening.is_unspecified and _is_local(address)):
                    return True
        return False
