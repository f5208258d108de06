"""Members: the network's directory of member groups and individuals, and their memberships."""
