"""Inference with torch, timm, torchvision and open_clip models. Only this subpackage (and the CLIP
test) imports them, so reading and classifying predictions files stays light."""
