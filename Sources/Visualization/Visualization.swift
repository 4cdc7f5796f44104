// Visualization module.
