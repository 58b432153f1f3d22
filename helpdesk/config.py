from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    login_rate_account: str = Field("5/15 minutes", validation_alias="HELPDESK_LOGIN_RATE_ACCOUNT")
    login_rate_address: str = Field("30/5 minutes", validation_alias="HELPDESK_LOGIN_RATE_ADDRESS")
    cookie_secure: bool = Field(False, validation_alias="HELPDESK_COOKIE_SECURE")
    default_language: str = Field("en", validation_alias="HELPDESK_DEFAULT_LANGUAGE")
    chat_max_length: int = Field(5_000, validation_alias="HELPDESK_CHAT_MAX_LENGTH")
    chat_rate: str = Field("20/minute", validation_alias="HELPDESK_CHAT_RATE")
    attachment_max_bytes: int = Field(10 * 1024 * 1024, validation_alias="HELPDESK_ATTACHMENT_MAX_BYTES")
    # Shown times are in this zone (IANA name, e.g. Europe/Paris).
    timezone: str = Field("UTC", validation_alias="HELPDESK_TIMEZONE")

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'helpdesk.db').resolve()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
