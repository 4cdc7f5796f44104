// LivePipeline module.
