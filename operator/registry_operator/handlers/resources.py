"""The resources the operator watches, as kopf selectors."""

from registry_operator.api import cross_account, model_package_group, model_version
from registry_operator.api.common import GROUP, VERSION

MODEL_PACKAGE_GROUPS = (GROUP, VERSION, model_package_group.PLURAL)
MODEL_VERSIONS = (GROUP, VERSION, model_version.PLURAL)
CROSS_ACCOUNT_ACCESSES = (GROUP, VERSION, cross_account.PLURAL)
