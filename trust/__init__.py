"""Trust between the processes: the bot signs what it forwards, Rasa and the actions check it.

Standard library only, so the Rasa environment (``nlu/channel.py``) and the app environment
(``bot/``, ``actions/``) import the very same code. See :mod:`trust.signing`.
"""

from trust.signing import (
    LANGUAGE_KEY,
    MAX_AGE_SECONDS,
    MAX_SKEW_SECONDS,
    SECRET_VARIABLE,
    Reason,
    ReplayGuard,
    Verdict,
    secret_from_env,
    sign,
    signed_metadata,
    verify,
)

__all__ = [
    "LANGUAGE_KEY",
    "MAX_AGE_SECONDS",
    "MAX_SKEW_SECONDS",
    "SECRET_VARIABLE",
    "Reason",
    "ReplayGuard",
    "Verdict",
    "secret_from_env",
    "sign",
    "signed_metadata",
    "verify",
]
