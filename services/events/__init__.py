"""Events: forums, workshops, Migrants Day events, registrations and calendar feeds."""
