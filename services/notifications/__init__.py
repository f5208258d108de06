"""Notifications: mailing lists, announcements and transactional mail, each sent exactly once."""
