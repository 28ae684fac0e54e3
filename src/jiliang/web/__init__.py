"""Web console: server-rendered pages, Chinese by default, English complete."""
