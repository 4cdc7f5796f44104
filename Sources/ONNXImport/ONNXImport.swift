// ONNXImport module.
