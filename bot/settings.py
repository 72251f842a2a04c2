"""Settings, from the environment and a `.env` file."""

from __future__ import annotations

import json
import re
from datetime import date
from functools import cached_property
from pathlib import Path
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

from workflow import governance
from workflow.governance import Governance
from workflow.people import normalise_email
from workflow.register import DOC_TYPES, normalise_type
from workflow.uptake_rules import UptakeRules

EmailList = Annotated[list[str], NoDecode]
TypeList = Annotated[list[str], NoDecode]
GroupTable = Annotated[dict[str, list[str]], NoDecode]
StrList = Annotated[list[str], NoDecode]
IntList = Annotated[list[int], NoDecode]
NATIONS = {"ENG": "England", "WLS": "Wales", "SCT": "Scotland", "NIR": "Northern Ireland"}
DEFAULT_MEETINGS = "FREQ=MONTHLY;BYDAY=2TU;BYMONTH=1,2,3,4,5,6,7,9,10,11"


class SettingsError(Exception):
    """A setting that is missing or wrong. `str(exc)` is one line naming it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        extra="ignore",
        populate_by_name=True,
        toml_file="signoff.toml",
        # `SLACK_SIGNING_SECRET=` (as compose.yaml passes an unset one) means not set.
        env_ignore_empty=True,
    )

    database_url: str = Field("sqlite:///signoff.db", validation_alias="DATABASE_URL")
    timezone_name: str = Field("Europe/London", validation_alias="SIGNOFF_TIMEZONE")
    slack_bot_token: str | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: str | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: str | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field("https://slack.com/api/", validation_alias="SLACK_API_URL")
    # Where Slack reaches this app from outside (e.g. https://signoff.example.org): the App
    # Home's chart is an image Slack fetches from under it.
    public_url: str | None = Field(None, validation_alias="SIGNOFF_PUBLIC_URL")
    digest_channel: str | None = Field(None, validation_alias="SIGNOFF_DIGEST_CHANNEL")
    slt_channel: str | None = Field(None, validation_alias="SIGNOFF_SLT_CHANNEL")
    admin_emails: EmailList = Field(default_factory=list, validation_alias="SIGNOFF_ADMIN_EMAILS")
    slt_emails: EmailList = Field(default_factory=list, validation_alias="SIGNOFF_SLT_EMAILS")
    escalation_emails: EmailList = Field(
        default_factory=list, validation_alias="SIGNOFF_ESCALATION_EMAILS"
    )
    # Which chat platforms this deployment serves: slack, teams, or both (slack,teams).
    platforms: StrList = Field(
        default_factory=lambda: ["slack"], validation_alias="SIGNOFF_PLATFORMS"
    )
    # --- Microsoft Teams ------------------------------------------------------------------
    teams_app_id: str | None = Field(None, validation_alias="TEAMS_APP_ID")
    teams_app_password: str | None = Field(None, validation_alias="TEAMS_APP_PASSWORD")
    teams_tenant_id: str | None = Field(None, validation_alias="TEAMS_TENANT_ID")
    teams_digest_channel: str | None = Field(None, validation_alias="TEAMS_DIGEST_CHANNEL")
    teams_slt_channel: str | None = Field(None, validation_alias="TEAMS_SLT_CHANNEL")
    # Where Bot Framework's signing keys are published, who issues its tokens, where signoff
    # gets its own token, and the service URL for a channel Teams has not yet written from:
    # Microsoft's public cloud unless set (a test points them at its stand-in).
    teams_openid_metadata_url: str = Field(
        "https://login.botframework.com/v1/.well-known/openidconfiguration",
        validation_alias="TEAMS_OPENID_METADATA_URL",
    )
    teams_token_issuer: str = Field(
        "https://api.botframework.com", validation_alias="TEAMS_TOKEN_ISSUER"
    )
    teams_login_url: str = Field(
        "https://login.microsoftonline.com", validation_alias="TEAMS_LOGIN_URL"
    )
    teams_service_url: str = Field(
        "https://smba.trafficmanager.net/teams/", validation_alias="TEAMS_SERVICE_URL"
    )
    # Who signs off what: a TOML file (examples/governance/). Unset, the approver decides and
    # may defer to the SLT (SIGNOFF_SLT_EMAILS, SIGNOFF_SLT_CHANNEL, SIGNOFF_SLT_MEETINGS).
    governance_file: str | None = Field(None, validation_alias="SIGNOFF_GOVERNANCE")

    # --- running it (environment or signoff.toml) ---------------------------------------
    log_level: str = Field("INFO", validation_alias="SIGNOFF_LOG_LEVEL")
    log_format: str = Field("text", validation_alias="SIGNOFF_LOG_FORMAT")
    sentry_dsn: str | None = Field(None, validation_alias="SENTRY_DSN")
    health_port: int | None = Field(None, validation_alias="SIGNOFF_HEALTH_PORT", gt=0, lt=65536)
    socket_ping_seconds: float = Field(10, validation_alias="SIGNOFF_SOCKET_PING_SECONDS", gt=0)
    scheduler_every_seconds: float = Field(
        60, validation_alias="SIGNOFF_SCHEDULER_EVERY_SECONDS", gt=0
    )
    outbox_claim_seconds: float = Field(120, validation_alias="SIGNOFF_OUTBOX_CLAIM_SECONDS", gt=0)

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

    # --- the register as a whole (environment or signoff.toml) -------------------------
    # Staff are asked to read what is published of these types, in the groups named for the
    # document's service area: {"Children in Care": ["S0CIC"], "*": ["C0ALLSTAFF"]}.
    uptake_types: TypeList = Field(
        default_factory=lambda: ["policy", "procedure"], validation_alias="SIGNOFF_UPTAKE_TYPES"
    )
    uptake_groups: GroupTable = Field(
        default_factory=dict, validation_alias="SIGNOFF_UPTAKE_GROUPS"
    )
    uptake_remind_working_days: int = Field(
        5, validation_alias="SIGNOFF_UPTAKE_REMIND_WORKING_DAYS", gt=0
    )
    # Notes and reminders to staff sent a minute, at most, across every replica.
    uptake_per_minute: int = Field(300, validation_alias="SIGNOFF_UPTAKE_PER_MINUTE", gt=0)
    # Approved versions superseded this many years ago are marked due for disposal (never
    # deleted). Unset: none is marked.
    retention_years: int | None = Field(None, validation_alias="SIGNOFF_RETENTION_YEARS", gt=0)

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

    @field_validator("uptake_types", mode="before")
    @classmethod
    def _types(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            types = []
            for part in value:
                kind = normalise_type(str(part))
                if kind is None:
                    raise ValueError(
                        f"unknown document type '{str(part).strip()}'; use some of "
                        + ", ".join(DOC_TYPES)
                    )
                types.append(kind)
            return types
        return value

    @field_validator("uptake_groups", mode="before")
    @classmethod
    def _groups(cls, value: object) -> object:
        """A TOML table or JSON object (area -> a group ID or a list of them), or in one line
        `Children in Care=S0CIC C0CICSTAFF; *=C0ALLSTAFF`."""
        example = "e.g. Children in Care=S0CIC C0CICSTAFF; *=C0ALLSTAFF"
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("{"):
                try:
                    value = json.loads(text)
                except json.JSONDecodeError as error:
                    raise ValueError(f"not a JSON object ({error}); {example}") from error
            else:
                table: dict[str, object] = {}
                for part in filter(str.strip, text.split(";")):
                    area, equals, ids = part.partition("=")
                    if not equals or not area.strip():
                        raise ValueError(f"'{part.strip()}' names no service area; {example}")
                    table[area.strip()] = ids
                value = table
        if not isinstance(value, dict):
            raise ValueError(f"give each service area its groups; {example}")
        groups: dict[str, list[str]] = {}
        for area, ids in value.items():
            listed = ids.replace(",", " ").split() if isinstance(ids, str) else list(ids)
            listed = [str(i).strip() for i in listed if str(i).strip()]
            if not listed:
                raise ValueError(f"no group named for '{area}'; {example}")
            groups[" ".join(str(area).split())] = listed
        return groups

    @cached_property
    def uptake_rules(self) -> UptakeRules:
        return UptakeRules(
            types=frozenset(self.uptake_types),
            groups={area: tuple(ids) for area, ids in self.uptake_groups.items()},
            remind_after_working_days=self.uptake_remind_working_days,
        )

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError(f"'{value}' is not a log level; use DEBUG, INFO, WARNING or ERROR")
        return level

    @field_validator("log_format")
    @classmethod
    def _format(cls, value: str) -> str:
        kind = value.strip().lower()
        if kind not in ("text", "json"):
            raise ValueError(f"'{value}' is not a log format; use text or json")
        return kind

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

    @field_validator("platforms", mode="before")
    @classmethod
    def _platforms(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip().lower() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            unknown = [p for p in value if p not in ("slack", "teams")]
            if unknown:
                raise ValueError(
                    f"unknown platform '{unknown[0]}'; use slack, teams or slack,teams"
                )
            if not value:
                raise ValueError("name at least one platform: slack, teams or slack,teams")
            return list(dict.fromkeys(value))
        return value

    @property
    def serves_slack(self) -> bool:
        return "slack" in self.platforms

    @property
    def serves_teams(self) -> bool:
        return "teams" in self.platforms

    @field_validator("timezone_name")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone '{value}' (e.g. Europe/London)") from error
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().rstrip("/")
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(
                f"'{value}' is not the app's public address; e.g. https://signoff.example.org"
            )
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @cached_property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone_name)

    def governance(self, today: date) -> Governance:
        """The organisation's governance: the file SIGNOFF_GOVERNANCE names, validated as of
        `today`, or the built-in chain made of the SLT settings. GovernanceError names every
        problem in the file."""
        if self.governance_file:
            return governance.load(Path(self.governance_file), today=today)
        return governance.default(
            slt_emails=self.slt_emails,
            slt_channel=self.slt_channel,
            slt_meetings=self.slt_meetings,
            papers_working_days=self.agenda_working_days_before,
            approval_nudge_working_days=self.approval_nudge_working_days,
            slt_nudge_working_days=self.slt_nudge_working_days,
            slt_teams_channel=self.teams_slt_channel,
        )

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
