"""Read models several services keep from other services' events, each service owning its copy of the rows."""
