"""Words the pages show for the code's values (regions, kinds of event…), as message ids the
catalogues translate where they are shown; `N_` marks them for `make translations`."""
from __future__ import annotations

from shared.contracts.events import ClashKind, RegistrationStatus, SessionKind
from shared.contracts.members import INDIVIDUAL_PUBLIC_FIELDS, DuesStatus, GroupKind, MembershipType, Visibility
from shared.contracts.notifications import SubscriptionStatus
from shared.contracts.vocabulary import EventKind, EventStatus, Region


def N_(message: str) -> str:  # noqa: N802 — gettext's name for "translated later, where it is shown"
    return message


NOT_AN_ADDRESS = N_("This is not an e-mail address.")  # an address field's refusal, on every form that has one
REGION_NAMES = {Region.HOKKAIDO: N_("Hokkaido"), Region.TOHOKU: N_("Tohoku"), Region.KANTO: N_("Kanto"),
                Region.CHUBU_TOKAI: N_("Chubu and Tokai"), Region.KINKI_KANSAI: N_("Kinki and Kansai"),
                Region.CHUGOKU: N_("Chugoku"), Region.SHIKOKU: N_("Shikoku"),
                Region.KYUSHU_OKINAWA: N_("Kyushu and Okinawa"), Region.ONLINE: N_("Online")}
KIND_NAMES = {EventKind.NATIONAL_FORUM: N_("National Forum"), EventKind.WORKSHOP: N_("Workshop"),
              EventKind.MIGRANTS_DAY: N_("International Migrants Day"), EventKind.SYMPOSIUM: N_("Symposium"),
              EventKind.WORKING_MEETING: N_("Working meeting"), EventKind.NEGOTIATION: N_("Negotiation"),
              EventKind.OTHER: N_("Other")}
SESSION_KIND_NAMES = {SessionKind.PLENARY: N_("Plenary"), SessionKind.SUB_SESSION: N_("Sub-session"),
                      SessionKind.OTHER: N_("Session")}
GROUP_KIND_NAMES = {GroupKind.UNION: N_("Union"), GroupKind.NPO: N_("Non-profit organization"),
                    GroupKind.FAITH_BASED: N_("Faith-based group"), GroupKind.SHELTER: N_("Shelter"),
                    GroupKind.LEGAL_NETWORK: N_("Legal support network"),
                    GroupKind.COMMUNITY_ASSOCIATION: N_("Community association"), GroupKind.OTHER: N_("Other")}
assert set(GROUP_KIND_NAMES) == set(GroupKind), "a word for every value"
assert set(REGION_NAMES) == set(Region) and set(KIND_NAMES) == set(EventKind), "a word for every value"
assert set(SESSION_KIND_NAMES) == set(SessionKind), "a word for every value"
REGISTRATION_STATUS_NAMES = {RegistrationStatus.CONFIRMED: N_("Confirmed"),
                             RegistrationStatus.WAITLISTED: N_("Waiting list"),
                             RegistrationStatus.PENDING: N_("Waiting for the organizers"),
                             RegistrationStatus.REJECTED: N_("Not accepted"),
                             RegistrationStatus.CANCELLED: N_("Cancelled"),
                             RegistrationStatus.EXPIRED: N_("Not confirmed in time")}
assert set(REGISTRATION_STATUS_NAMES) == set(RegistrationStatus), "a word for every value"
VISIBILITY_NAMES = {Visibility.PUBLIC: N_("Everyone"), Visibility.MEMBERS: N_("The network's members only"),
                    Visibility.HIDDEN: N_("Nobody (only the organizers' lists)")}
assert set(VISIBILITY_NAMES) == set(Visibility), "a word for every value"
EVENT_STATUS_NAMES = {EventStatus.DRAFT: N_("Draft"), EventStatus.PUBLISHED: N_("Published"),
                      EventStatus.POSTPONED: N_("Postponed"), EventStatus.CANCELLED: N_("Called off"),
                      EventStatus.COMPLETED: N_("Held")}
assert set(EVENT_STATUS_NAMES) == set(EventStatus), "a word for every value"
MEMBERSHIP_TYPE_NAMES = {MembershipType.MEMBER: N_("Membership"),
                         MembershipType.SUBSCRIBER: N_("Magazine subscription")}
DUES_STATUS_NAMES = {DuesStatus.PAID: N_("Paid"), DuesStatus.UNPAID: N_("Not paid yet"),
                     DuesStatus.WAIVED: N_("Waived")}
assert set(MEMBERSHIP_TYPE_NAMES) == set(MembershipType) and set(DUES_STATUS_NAMES) == set(DuesStatus)
SUBSCRIPTION_STATUS_NAMES = {SubscriptionStatus.PENDING: N_("Not confirmed yet"),
                             SubscriptionStatus.CONFIRMED: N_("Subscribed"),
                             SubscriptionStatus.UNSUBSCRIBED: N_("Left the list"),
                             SubscriptionStatus.SUSPENDED: N_("Stopped: the address bounced")}
assert set(SUBSCRIPTION_STATUS_NAMES) == set(SubscriptionStatus), "a word for every value"
CLASH_KIND_NAMES = {ClashKind.NATIONAL_OVERLAP: N_("Two network-wide events at once"),
                    ClashKind.VENUE_DOUBLE_BOOKED: N_("The same venue at the same time"),
                    ClashKind.NETWORK_OVERLAP: N_("The same network meets elsewhere at the same time")}
assert set(CLASH_KIND_NAMES) == set(ClashKind), "a word for every value"
# What an individual's directory entry may show (shared.contracts.members.INDIVIDUAL_PUBLIC_FIELDS).
FIELD_NAMES = {"display_name": N_("My name"), "region": N_("My region"), "networks": N_("My networks"),
               "preferred_language": N_("My language")}
assert set(FIELD_NAMES) == set(INDIVIDUAL_PUBLIC_FIELDS), "a word for every field an entry may show"
# The words above that only the organizers' console shows (tests/unit/test_pages.py: a catalogue complete
# for the public pages need not have them).
CONSOLE_WORDS = frozenset([*EVENT_STATUS_NAMES.values(), *MEMBERSHIP_TYPE_NAMES.values(), *DUES_STATUS_NAMES.values(),
                           *SUBSCRIPTION_STATUS_NAMES.values(), *CLASH_KIND_NAMES.values()])
WORDS = {"region_names": {key.value: word for key, word in REGION_NAMES.items()},
         "kind_names": {key.value: word for key, word in KIND_NAMES.items()},
         "session_kind_names": {key.value: word for key, word in SESSION_KIND_NAMES.items()},
         "group_kind_names": {key.value: word for key, word in GROUP_KIND_NAMES.items()},
         "field_names": FIELD_NAMES,
         "event_status_names": {key.value: word for key, word in EVENT_STATUS_NAMES.items()},
         "clash_kind_names": {key.value: word for key, word in CLASH_KIND_NAMES.items()},
         "membership_type_names": {key.value: word for key, word in MEMBERSHIP_TYPE_NAMES.items()},
         "dues_status_names": {key.value: word for key, word in DUES_STATUS_NAMES.items()},
         "subscription_status_names": {key.value: word for key, word in SUBSCRIPTION_STATUS_NAMES.items()},
         "visibility_names": {key.value: word for key, word in VISIBILITY_NAMES.items()},
         "registration_status_names": {key.value: word for key, word in REGISTRATION_STATUS_NAMES.items()}}
