// The Graph Data Science version, when the plugin is installed (fails otherwise).
RETURN gds.version() AS version
