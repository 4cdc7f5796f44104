// ViewerCore module.
