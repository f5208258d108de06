"""Words the mail shows for the code's values, as message ids the catalogues translate (shared/locale);
`N_` marks them for `make translations`. The template files hold every other word of the mail."""
from __future__ import annotations

from shared.contracts.vocabulary import EventKind
from shared.words import KIND_NAMES, N_

# An announcement's subject names its kind; "Other" would say nothing there.
ANNOUNCED_KIND_NAMES = {**KIND_NAMES, EventKind.OTHER: N_("Announcement")}

# What each registration event tells its registrant: the subject's label and the mail's first sentence.
REGISTRATION_NEWS = {
    "registration_confirmed": (N_("Registered"),
                               N_("Your registration is confirmed. We look forward to seeing you.")),
    "registration_waitlisted": (N_("Waiting list"), N_(
        "The event is full: you are on the waiting list. We will write as soon as a place frees up.")),
    "registration_promoted": (N_("You have a place"), N_("A place freed up: your registration is now confirmed.")),
    "registration_pending": (N_("Awaiting approval"),
                             N_("We received your registration; the organizers will confirm it.")),
    "registration_approved": (N_("Approved"), N_("The organizers approved your registration.")),
    "registration_rejected": (N_("About your registration"),
                              N_("We are sorry: the organizers could not accept your registration this time.")),
    "registration_cancelled": (N_("Cancelled"), N_("Your registration has been cancelled.")),
}
UNSUBSCRIBE = N_("Unsubscribe:")  # the last line of list mail, before its link

# Every word a mail may show from here: a language speaks a kind of mail only if it has these too.
MAIL_WORDS = frozenset([*ANNOUNCED_KIND_NAMES.values(), *(word for pair in REGISTRATION_NEWS.values() for word in pair),
                        UNSUBSCRIBE])
