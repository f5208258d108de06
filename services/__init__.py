"""Tsunagu's services. Each package is one nameko service; none imports another."""
