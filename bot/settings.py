"""Settings, from the environment and a `.env` file."""

from __future__ import annotations

from functools import cached_property
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from workflow.people import normalise_email

EmailList = Annotated[list[str], NoDecode]


class SettingsError(Exception):
    """A setting that is missing or wrong. `str(exc)` is one line naming it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field("sqlite:///signoff.db", validation_alias="DATABASE_URL")
    timezone_name: str = Field("Europe/London", validation_alias="SIGNOFF_TIMEZONE")
    slack_bot_token: str | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: str | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: str | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field("https://slack.com/api/", validation_alias="SLACK_API_URL")
    digest_channel: str | None = Field(None, validation_alias="SIGNOFF_DIGEST_CHANNEL")
    slt_channel: str | None = Field(None, validation_alias="SIGNOFF_SLT_CHANNEL")
    admin_emails: EmailList = Field(default_factory=list, validation_alias="SIGNOFF_ADMIN_EMAILS")
    slt_emails: EmailList = Field(default_factory=list, validation_alias="SIGNOFF_SLT_EMAILS")
    escalation_emails: EmailList = Field(
        default_factory=list, validation_alias="SIGNOFF_ESCALATION_EMAILS"
    )

    @field_validator("admin_emails", "slt_emails", "escalation_emails", mode="before")
    @classmethod
    def _split_emails(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            return [normalise_email(str(part)) for part in value]
        return value

    @field_validator("timezone_name")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone '{value}' (e.g. Europe/London)") from error
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @cached_property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone_name)

    def require(self, *names: str) -> None:
        """Stop with one line naming the first setting that a command needs and lacks."""
        for name in names:
            if not getattr(self, name):
                alias = type(self).model_fields[name].validation_alias
                raise SettingsError(
                    f"{alias} is not set: this command needs it "
                    "(set it in the environment or in .env)"
                )


def load_settings() -> Settings:
    """Settings, or SettingsError naming the first one that is wrong."""
    try:
        return Settings()
    except ValidationError as error:
        first = error.errors()[0]
        field = first["loc"][0] if first["loc"] else "settings"
        alias = (
            Settings.model_fields[field].validation_alias
            if field in Settings.model_fields
            else field
        )
        raise SettingsError(f"{alias}: {first['msg'].removeprefix('Value error, ')}") from error
