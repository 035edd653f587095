"""Error codes the plugin's mutations return, in Saleor's style (values are lower case)."""

from enum import Enum


class ServiceHistoryErrorCode(Enum):
    GRAPHQL_ERROR = "graphql_error"
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    REQUIRED = "required"


class StockShortageErrorCode(Enum):
    GRAPHQL_ERROR = "graphql_error"
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    REQUIRED = "required"
    EXPIRED = "expired"
    ALREADY_USED = "already_used"


class CouponErrorCode(Enum):
    GRAPHQL_ERROR = "graphql_error"
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    REQUIRED = "required"
    # The code does not apply; the diagnosis says why.
    NOT_APPLICABLE = "not_applicable"
    RATE_LIMITED = "rate_limited"


class PromotedCodeErrorCode(Enum):
    GRAPHQL_ERROR = "graphql_error"
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    REQUIRED = "required"


class ServiceSurveyErrorCode(Enum):
    GRAPHQL_ERROR = "graphql_error"
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    # The survey no longer takes answers.
    CLOSED = "closed"
    REQUIRED = "required"
