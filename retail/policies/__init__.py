"""Policies: which policy a question is about (``matching``), the answer personalised with the
asker's facts (``answers``, ``placeholders``), and the staff import of policy files
(``importing``).

The question arrives read by lang.questions (typed terms and the star level it asks about),
with the topics the NLU intent hints at; nothing here reads what the user typed, except to
match catalog names.
"""

from __future__ import annotations

from retail.policies.answers import (
    POSSIBLE,
    SURE,
    PolicyAnswer,
    answer_policy,
    policy_by_key,
    policy_topics,
)
from retail.policies.importing import (
    ImportReport,
    PolicyFile,
    PolicyFileError,
    import_policies,
    read_policy_file,
)
from retail.policies.matching import PolicyMatch, find_policies
from retail.policies.placeholders import PLACEHOLDERS, personalise, unknown_placeholders

__all__ = [
    "PLACEHOLDERS",
    "POSSIBLE",
    "SURE",
    "ImportReport",
    "PolicyAnswer",
    "PolicyFile",
    "PolicyFileError",
    "PolicyMatch",
    "answer_policy",
    "find_policies",
    "import_policies",
    "personalise",
    "policy_by_key",
    "policy_topics",
    "read_policy_file",
    "unknown_placeholders",
]
