"""SQLAlchemy models of the whole domain; import from here."""

from retail.models.base import Base, UTCDateTime
from retail.models.catalog import Contact, Policy, Product, ProductAlias, StarQuota
from retail.models.offers import ConfirmedOffer, claim_offer
from retail.models.orders import Order, OrderAudit, OrderChangePlan, OrderLine
from retail.models.people import BindingCode, Manager, Retailer, User
from retail.models.reminders import OutboxMessage, ReminderPreference
from retail.models.settlement import BalanceSnapshot, DepositClaim, SettlementAccount
from retail.models.support import InboundUpdate, ManagerRequest
from retail.models.visits import FollowUp, VisitFinding, VisitNote

__all__ = [
    "BalanceSnapshot",
    "Base",
    "BindingCode",
    "ConfirmedOffer",
    "Contact",
    "DepositClaim",
    "FollowUp",
    "InboundUpdate",
    "Manager",
    "ManagerRequest",
    "Order",
    "OrderAudit",
    "OrderChangePlan",
    "OrderLine",
    "OutboxMessage",
    "Policy",
    "Product",
    "ProductAlias",
    "ReminderPreference",
    "Retailer",
    "SettlementAccount",
    "StarQuota",
    "UTCDateTime",
    "User",
    "VisitFinding",
    "VisitNote",
    "claim_offer",
]
