"""Tsunagu's common code: message contracts, bus helpers, database provider, settings, errors.

Nothing here knows about one service's rules; services share only this package.
"""
