"""Checkpoints: what training writes and scoring reads — tokenizer, model input features, calibrator,
and the artifact itself (`write.save_checkpoint`, `read.load_checkpoint` through the trust gate)."""
