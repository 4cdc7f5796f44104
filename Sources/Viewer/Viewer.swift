// Viewer module.
