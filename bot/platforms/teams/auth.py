"""The Bot Framework token on every activity Teams sends: signed by one of Bot Framework's keys
(published at its OpenID metadata), issued by Bot Framework, for this app, for the service URL
the activity names, and not expired, by signoff's own clock.

microsoft-teams-apps' `TokenValidator` knows the cloud's issuer, the audiences an app's token
may carry and where the keys are; signoff takes those from it (with the endpoints a test
overrides) and checks the token with PyJWT as the validator does. The one difference: the
validator compares the token's times with the machine's clock, and signoff reads time only from
its injected clock, so the times are checked here against that, with the validator's leeway.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

log = logging.getLogger(__name__)


class Forbidden(Exception):
    """The request's token is missing, forged, expired or for someone else."""


@dataclass
class ActivityAuth:
    app_id: str
    openid_metadata_url: str
    token_issuer: str
    login_url: str
    now: Callable[[], datetime]

    def __post_init__(self) -> None:
        import jwt

        # Importing microsoft_teams.apps costs seconds: only a deployment serving Teams pays.
        # (It warns that a part signoff does not use is a preview.)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from microsoft_teams.api.auth.cloud_environment import PUBLIC, with_overrides
            from microsoft_teams.apps.auth.token_validator import (
                JWT_LEEWAY_SECONDS,
                TokenValidator,
            )

        cloud = with_overrides(
            PUBLIC,
            openid_metadata_url=self.openid_metadata_url,
            token_issuer=self.token_issuer,
            login_endpoint=self.login_url,
        )
        self.validator = TokenValidator.for_service(self.app_id, cloud=cloud)
        self.leeway = JWT_LEEWAY_SECONDS
        self._jwt = jwt
        self._keys: Any = None

    def keys(self) -> Any:
        """The signing keys: from the `jwks_uri` the OpenID metadata names, as Bot Framework
        asks; where the metadata cannot be read, where the SDK's validator puts them."""
        if self._keys is None:
            uri = self.validator.options.jwks_uri
            try:
                import httpx

                metadata = httpx.get(self.openid_metadata_url, timeout=10).json()
                uri = metadata.get("jwks_uri") or uri
            except (OSError, ValueError, httpx.HTTPError) as error:
                log.warning("teams: reading the OpenID metadata failed (%s); using %s", error, uri)
            self._keys = self._jwt.PyJWKClient(uri, cache_keys=True)
        return self._keys

    def check(self, authorization: str | None, service_url: str | None) -> dict[str, Any]:
        """The token's claims, or Forbidden saying what is wrong with it."""
        import jwt

        if not authorization or not authorization.startswith("Bearer "):
            raise Forbidden("no Bearer token")
        token = authorization.removeprefix("Bearer ").strip()
        options = self.validator.options
        try:
            key = self.keys().get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                audience=options.valid_audiences,
                issuer=options.valid_issuers,
                options={
                    "verify_signature": True,
                    "verify_aud": True,
                    "verify_iss": True,
                    # Times are checked below, by signoff's clock.
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "require": ["exp", "iss", "aud"],
                },
            )
        except jwt.PyJWKClientError as error:
            raise Forbidden(f"no key for it: {error}") from error
        except jwt.InvalidTokenError as error:
            raise Forbidden(str(error)) from error
        now = self.now().timestamp()
        if float(claims["exp"]) <= now - self.leeway:
            raise Forbidden("the token has expired")
        if float(claims.get("nbf", 0)) > now + self.leeway:
            raise Forbidden("the token is not valid yet")
        if float(claims.get("iat", 0)) > now + self.leeway:
            raise Forbidden("the token was issued in the future")
        claimed = (claims.get("serviceurl") or "").rstrip("/")
        if service_url and claimed != service_url.rstrip("/"):
            raise Forbidden("the token is for another service URL")
        return claims
