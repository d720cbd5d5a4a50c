"""The sandbox's Entra ID: app registrations, the token service and the OAuth endpoints."""
