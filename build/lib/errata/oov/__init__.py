"""The CLIP half of the fine-grained out-of-vocabulary test (torch, open_clip): embeddings of the
evaluated images, of the gate's training images or class names, and of the proposal prompts."""
