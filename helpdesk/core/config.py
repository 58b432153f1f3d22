import ipaddress
import os
import socket
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# Mail servers' URL schemes: (security, default port).
SMTP_SCHEMES = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("tls", 465)}
IMAP_SCHEMES = {"imaps": ("tls", 993), "imap+starttls": ("starttls", 143), "imap": ("plain", 143)}


# Lists in settings (comma-separated), parsed here so that a bad one stops the app at start.
def parse_networks(text: str) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


def parse_ports(text: str) -> tuple[tuple[int, int], ...]:
    ranges = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        low, _, high = part.partition("-")
        first, last = int(low), int(high or low)
        if not 1 <= first <= last <= 65535:
            raise ValueError(f"bad port range {part!r}")
        ranges.append((first, last))
    return tuple(ranges)


class Settings(BaseSettings):
    """Every setting, read from the environment or `.env`; `.env.example` documents each one."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    host: str = Field("127.0.0.1", validation_alias="HELPDESK_HOST")
    port: int = Field(8080, validation_alias="HELPDESK_PORT")
    data_dir: Path = Field(Path("data"), validation_alias="HELPDESK_DATA_DIR")
    database_url: str | None = Field(None, validation_alias="DATABASE_URL")
    # Optional: without it a random key is generated into the data dir on first start.
    secret_key: str | None = Field(None, validation_alias="HELPDESK_SECRET_KEY")
    session_hours: float = Field(12.0, validation_alias="HELPDESK_SESSION_HOURS")
    # Wrong passwords: per account from one address; per account from browsers it has never
    # signed in from (its owner's own browser is exempt, so a stranger cannot lock them out);
    # every attempt from one address.
    login_rate_account: str = Field("5/15 minutes", validation_alias="HELPDESK_LOGIN_RATE_ACCOUNT")
    login_rate_account_wide: str = Field("20/hour", validation_alias="HELPDESK_LOGIN_RATE_ACCOUNT_WIDE")
    login_rate_address: str = Field("30/5 minutes", validation_alias="HELPDESK_LOGIN_RATE_ADDRESS")
    cookie_secure: bool = Field(False, validation_alias="HELPDESK_COOKIE_SECURE")
    default_language: str = Field("en", validation_alias="HELPDESK_DEFAULT_LANGUAGE")
    chat_max_length: int = Field(5_000, validation_alias="HELPDESK_CHAT_MAX_LENGTH")
    chat_rate: str = Field("20/minute", validation_alias="HELPDESK_CHAT_RATE")
    attachment_max_bytes: int = Field(10 * 1024 * 1024, validation_alias="HELPDESK_ATTACHMENT_MAX_BYTES")
    # Shown times are in this zone (IANA name, e.g. Europe/Paris).
    timezone: str = Field("UTC", validation_alias="HELPDESK_TIMEZONE")

    # The REST API's own process, which the app starts as a child: API bursts then leave the
    # pages' process alone. 0 serves the API inside the app's process, on its port, instead.
    api_port: int = Field(8081, validation_alias="HELPDESK_API_PORT")
    api_host: str | None = Field(None, validation_alias="HELPDESK_API_HOST")  # default: HOST
    # How much lower the API process's CPU priority is than the app's (nice, 0 to 19): by
    # default the lowest, so the pages answer first when API writes burst.
    api_niceness: int = Field(19, ge=0, le=19, validation_alias="HELPDESK_API_NICENESS")

    # Remote assistance: the websockify bridge the app starts as a child process.
    remote_enabled: bool = Field(True, validation_alias="HELPDESK_REMOTE_ENABLED")
    remote_bridge_host: str | None = Field(None, validation_alias="HELPDESK_REMOTE_BRIDGE_HOST")  # default: HOST
    remote_bridge_port: int = Field(6080, validation_alias="HELPDESK_REMOTE_BRIDGE_PORT")
    # What browsers connect to, when a reverse proxy fronts the bridge (e.g. wss://helpdesk.example.com/remote).
    remote_public_url: str | None = Field(None, validation_alias="HELPDESK_REMOTE_PUBLIC_URL")
    # Origins whose pages may open the bridge (comma-separated); default: the app's own address.
    remote_origins: str | None = Field(None, validation_alias="HELPDESK_REMOTE_ORIGINS")
    remote_max_minutes: float = Field(60, validation_alias="HELPDESK_REMOTE_MAX_MINUTES")
    remote_idle_minutes: float = Field(5, validation_alias="HELPDESK_REMOTE_IDLE_MINUTES")
    remote_default_port: int = Field(5900, validation_alias="HELPDESK_REMOTE_DEFAULT_PORT")
    # Where the bridge may connect (helpdesk/domain/netpolicy.py): comma-separated networks (e.g.
    # 10.20.0.0/16,192.168.5.0/24) and ports (e.g. 5900-5909). No network: no remote assistance.
    remote_networks: str = Field("", validation_alias="HELPDESK_REMOTE_NETWORKS")
    remote_ports: str = Field("5900-5909", validation_alias="HELPDESK_REMOTE_PORTS")

    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (comma-separated
    # addresses or networks); none by default, so a client cannot choose its own address.
    trusted_proxies: str = Field("", validation_alias="HELPDESK_TRUSTED_PROXIES")
    # Largest request body, uploads aside (those may be the attachment limit plus 64 KiB).
    request_max_bytes: int = Field(1_000_000, ge=1024, validation_alias="HELPDESK_REQUEST_MAX_BYTES")
    # Database reads at once in one process; the others queue in order (helpdesk/core/db.py FairGate).
    db_readers: int = Field(
        default_factory=lambda: (os.cpu_count() or 1) + 1, ge=1, le=256, validation_alias="HELPDESK_DB_READERS"
    )

    # Email (helpdesk/domain/notify.py, outbox.py, intake.py). No SMTP URL: nothing is queued.
    # smtp://host:25 (plain), smtp+starttls://user:password@host:587, smtps://user:password@host:465;
    # the user and password URL-encoded.
    smtp_url: str | None = Field(None, validation_alias="HELPDESK_SMTP_URL")
    mail_from: str = Field("Helpdesk <helpdesk@localhost>", validation_alias="HELPDESK_MAIL_FROM")
    # The address people open the helpdesk at, for the links in emails; default: HOST and PORT.
    public_url: str | None = Field(None, validation_alias="HELPDESK_PUBLIC_URL")
    # How long an email waits for more on its ticket, and for its reader to see it live.
    mail_delay_seconds: float = Field(120, ge=0, validation_alias="HELPDESK_MAIL_DELAY_SECONDS")
    mail_max_attempts: int = Field(8, ge=1, le=30, validation_alias="HELPDESK_MAIL_MAX_ATTEMPTS")
    # The wait before the first retry; each next one waits twice as long, at most an hour.
    mail_retry_seconds: float = Field(30, gt=0, validation_alias="HELPDESK_MAIL_RETRY_SECONDS")
    # Whether technicians hear of every new ticket unless they chose otherwise (large teams: false).
    mail_new_tickets: bool = Field(True, validation_alias="HELPDESK_MAIL_NEW_TICKETS")
    # The mailbox read for new tickets and replies: imaps://user:password@host:993/INBOX (or
    # imap+starttls://, or imap:// on loopback only). None: no email intake.
    imap_url: str | None = Field(None, validation_alias="HELPDESK_IMAP_URL")
    imap_poll_seconds: float = Field(60, ge=1, validation_alias="HELPDESK_IMAP_POLL_SECONDS")
    # Senders of these domains (comma-separated) with no account get an employee account on first mail.
    mail_allowed_domains: str = Field("", validation_alias="HELPDESK_MAIL_ALLOWED_DOMAINS")
    # More mails than this from one sender in a minute is a loop: the rest are ignored.
    mail_loop_limit: int = Field(10, ge=1, validation_alias="HELPDESK_MAIL_LOOP_LIMIT")

    # Several processes (helpdesk/core/cluster.py): live events over Redis pub/sub, shared rate
    # limits and the background jobs' leases. None: one process, everything in memory.
    # redis://host:6379/0, or rediss:// with TLS; a password as redis://:password@host (URL-encoded).
    redis_url: str | None = Field(None, validation_alias="HELPDESK_REDIS_URL")
    # This process's name in the cluster (/healthz, leases); default: host name and port.
    instance: str | None = Field(None, validation_alias="HELPDESK_INSTANCE")

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value and (urlsplit(value).scheme not in ("redis", "rediss") or not urlsplit(value).hostname):
            raise ValueError("must be redis:// or rediss:// with a host")
        return value or None

    @property
    def instance_name(self) -> str:
        return self.instance or f"{socket.gethostname()}:{self.port}"

    @field_validator("remote_networks", "trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        parse_networks(value)
        return value

    @field_validator("smtp_url", "imap_url")
    @classmethod
    def _mail_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value:
            schemes = SMTP_SCHEMES if info.field_name == "smtp_url" else IMAP_SCHEMES
            parts = urlsplit(value)
            if parts.scheme not in schemes or not parts.hostname:
                raise ValueError(f"must be {', '.join(s + '://' for s in schemes)} with a host")
            if parts.scheme == "imap" and parts.hostname not in ("127.0.0.1", "::1", "localhost"):
                raise ValueError("imap:// sends the password in clear: use imaps:// off this machine")
        return value or None  # set but empty: not set

    @field_validator("remote_ports")
    @classmethod
    def _ports(cls, value: str) -> str:
        parse_ports(value)
        return value

    @property
    def api_url(self) -> str:
        """Where the REST API answers (its `/api/v1` routes, `/docs`)."""
        if not self.api_port:
            return f"http://{self.host}:{self.port}"
        return f"http://{self.api_host or self.host}:{self.api_port}"

    @property
    def proxy_options(self) -> dict:
        """uvicorn's: X-Forwarded-* believed from the listed proxies only (none by default)."""
        if not self.trusted_proxies.strip():
            return {"proxy_headers": False}
        return {"proxy_headers": True, "forwarded_allow_ips": self.trusted_proxies}

    @property
    def base_url(self) -> str:
        """Where people open the helpdesk (links in emails)."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def bridge_host(self) -> str:
        return self.remote_bridge_host or self.host

    @property
    def allowed_origins(self) -> set[str]:
        if self.remote_origins:
            return {o.strip().rstrip("/") for o in self.remote_origins.split(",") if o.strip()}
        hosts = {self.host, "127.0.0.1", "localhost"} if self.host in ("127.0.0.1", "localhost") else {self.host}
        return {f"{scheme}://{h}:{self.port}" for h in hosts for scheme in ("http", "https")}

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'helpdesk.db').resolve()}"


@lru_cache
def get_settings() -> Settings:
    """The settings; an invalid one stops the process with a message naming it (never its value,
    which may be a secret), rather than a traceback."""
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise SystemExit(f"Invalid setting: {problems}. See .env.example.") from None
