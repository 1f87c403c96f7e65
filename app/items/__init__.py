"""An example owned resource: how a team adds its own domain on top of accounts and roles."""
