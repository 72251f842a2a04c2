"""Settings, from the environment and a `.env` file."""

from __future__ import annotations

from functools import cached_property
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from workflow.people import normalise_email

EmailList = Annotated[list[str], NoDecode]
IntList = Annotated[list[int], NoDecode]
NATIONS = {"ENG": "England", "WLS": "Wales", "SCT": "Scotland", "NIR": "Northern Ireland"}
DEFAULT_MEETINGS = "FREQ=MONTHLY;BYDAY=2TU;BYMONTH=1,2,3,4,5,6,7,9,10,11"


class SettingsError(Exception):
    """A setting that is missing or wrong. `str(exc)` is one line naming it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", populate_by_name=True, toml_file="signoff.toml"
    )

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

    # --- scheduling (environment or signoff.toml) -------------------------------------
    reminder_stages: IntList = Field(
        default_factory=lambda: [42, 14, 7, 0], validation_alias="SIGNOFF_REMINDER_STAGES"
    )
    overdue_every_days: int = Field(7, validation_alias="SIGNOFF_OVERDUE_EVERY_DAYS", gt=0)
    escalate_after_days: int = Field(61, validation_alias="SIGNOFF_ESCALATE_AFTER_DAYS", gt=0)
    approval_nudge_working_days: int = Field(
        5, validation_alias="SIGNOFF_APPROVAL_NUDGE_WORKING_DAYS", gt=0
    )
    slt_nudge_working_days: int = Field(10, validation_alias="SIGNOFF_SLT_NUDGE_WORKING_DAYS", gt=0)
    due_soon_days: int = Field(14, validation_alias="SIGNOFF_DUE_SOON_DAYS", gt=0)
    daily_at: str = Field("09:00", validation_alias="SIGNOFF_DAILY_AT")
    digest_day: str = Field("MO", validation_alias="SIGNOFF_DIGEST_DAY")
    slt_meetings: str = Field(DEFAULT_MEETINGS, validation_alias="SIGNOFF_SLT_MEETINGS")
    agenda_working_days_before: int = Field(3, validation_alias="SIGNOFF_AGENDA_WORKING_DAYS", ge=0)
    bank_holidays: str = Field("ENG", validation_alias="SIGNOFF_BANK_HOLIDAYS")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment wins over .env, which wins over signoff.toml.
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            TomlConfigSettingsSource(settings_cls),
            file_secret_settings,
        )

    @field_validator("reminder_stages", mode="before")
    @classmethod
    def _split_stages(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            stages = []
            for part in value:
                try:
                    stage = int(part)
                except (TypeError, ValueError) as error:
                    raise ValueError(f"'{part}' is not a whole number of days") from error
                if stage < 0:
                    raise ValueError(
                        f"a stage cannot be negative ({stage}); use days before "
                        "the due date, e.g. 42,14,7,0"
                    )
                stages.append(stage)
            if not stages:
                raise ValueError("give at least one stage, e.g. 42,14,7,0")
            return sorted(set(stages), reverse=True)
        return value

    @field_validator("daily_at")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        hours, _, minutes = value.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
            raise ValueError(f"'{value}' is not a time of day (e.g. 09:00)")
        return f"{int(hours):02d}:{int(minutes):02d}"

    @field_validator("digest_day")
    @classmethod
    def _weekday(cls, value: str) -> str:
        day = value.strip().upper()[:2]
        if day not in ("MO", "TU", "WE", "TH", "FR", "SA", "SU"):
            raise ValueError(f"'{value}' is not a day of the week (e.g. MO)")
        return day

    @field_validator("slt_meetings")
    @classmethod
    def _rrule(cls, value: str) -> str:
        from dateutil.rrule import rrulestr

        try:
            rrulestr(value.strip())
        except (ValueError, TypeError) as error:
            raise ValueError(
                f"'{value}' is not an RRULE ({error}); e.g. {DEFAULT_MEETINGS}"
            ) from error
        return value.strip()

    @field_validator("bank_holidays")
    @classmethod
    def _nation(cls, value: str) -> str:
        nation = value.strip().upper()
        if nation not in NATIONS:
            raise ValueError(
                f"unknown UK nation '{value}'; use one of "
                + ", ".join(f"{k} ({v})" for k, v in NATIONS.items())
            )
        return nation

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
