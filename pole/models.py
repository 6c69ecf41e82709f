"""Every model, imported in one place for migrations and the shell."""

from pole.auth.models import LoginThrottle, User
from pole.bookings.models import Booking, Series
from pole.displays.models import DisplayLink
from pole.events.models import Event, NoticesSeen
from pole.feeds.models import FeedToken
from pole.notices.models import Notice, NoticeDismissal
from pole.notifications.models import DailyMail, DigestItem, NotificationChoice
from pole.organisations.models import Invitation, Membership, Organisation
from pole.outbox.models import OutgoingMail
from pole.permanences.models import (
    Appointment,
    BlockedSlot,
    Permanence,
    PermanenceCancellation,
    PermanencePattern,
)
from pole.quotas.models import Quota, ResourceGroup
from pole.resources.models import Closure, Resource, Site
from pole.seasons.models import Season, SeasonRequest
from pole.sites.models import ManagerSite, OrganisationSite
from pole.waitlist.models import Wish

__all__ = [
    "Appointment",
    "BlockedSlot",
    "Booking",
    "Closure",
    "DailyMail",
    "DigestItem",
    "DisplayLink",
    "Event",
    "FeedToken",
    "Invitation",
    "LoginThrottle",
    "ManagerSite",
    "Membership",
    "Notice",
    "NoticeDismissal",
    "NoticesSeen",
    "NotificationChoice",
    "Organisation",
    "OrganisationSite",
    "OutgoingMail",
    "Permanence",
    "PermanenceCancellation",
    "PermanencePattern",
    "Quota",
    "Resource",
    "ResourceGroup",
    "Season",
    "SeasonRequest",
    "Series",
    "Site",
    "User",
    "Wish",
]
