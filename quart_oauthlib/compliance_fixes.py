"""``from quart_oauthlib.compliance_fixes import facebook_compliance_fix``, as in requests-oauthlib.

The fixes live in :mod:`quart_oauthlib.client.compliance_fixes`; this module
only re-exports them.
"""

from .client.compliance_fixes import (
    douban_compliance_fix,
    ebay_compliance_fix,
    facebook_compliance_fix,
    fitbit_compliance_fix,
    instagram_compliance_fix,
    mailchimp_compliance_fix,
    plentymarkets_compliance_fix,
    slack_compliance_fix,
    weibo_compliance_fix,
)

__all__ = [
    "douban_compliance_fix",
    "ebay_compliance_fix",
    "facebook_compliance_fix",
    "fitbit_compliance_fix",
    "instagram_compliance_fix",
    "mailchimp_compliance_fix",
    "plentymarkets_compliance_fix",
    "slack_compliance_fix",
    "weibo_compliance_fix",
]
