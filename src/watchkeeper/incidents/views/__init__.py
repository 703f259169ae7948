"""Web pages of incidents: the requester's portal and the agent workspace."""
