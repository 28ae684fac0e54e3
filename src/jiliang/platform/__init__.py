"""Platform: settings, database and migrations, auth, audit log, organizations."""
