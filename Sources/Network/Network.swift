// Network module.
