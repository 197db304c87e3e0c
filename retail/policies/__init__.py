"""Policy answers: the policy a question is about, personalised with the asker's facts, and
the staff import of policy files.
"""

from __future__ import annotations

from retail.policies.answers import (
    POSSIBLE,
    SURE,
    PolicyAnswer,
    PolicyFileError,
    answer_policy,
    asked_star_level,
    find_policies,
    import_policies,
    personalise,
    policy_by_key,
    policy_topics,
    read_policy_file,
    unknown_placeholders,
)

__all__ = [
    "POSSIBLE",
    "SURE",
    "PolicyAnswer",
    "PolicyFileError",
    "answer_policy",
    "asked_star_level",
    "find_policies",
    "import_policies",
    "personalise",
    "policy_by_key",
    "policy_topics",
    "read_policy_file",
    "unknown_placeholders",
]
