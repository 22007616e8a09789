#!/usr/bin/python3
"""Writes weights/imagenet-classes.json: the 1000 ImageNet-1k class names in the order of torchvision's logits
(torchvision.models._meta._IMAGENET_CATEGORIES, the names its weight enums carry as meta['categories']).

Run: /usr/bin/python3 tools/make_imagenet_classes.py
"""
import json, os
from torchvision.models._meta import _IMAGENET_CATEGORIES as names

assert len(names) == 1000
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'weights', 'imagenet-classes.json')
with open(out, 'w') as f:
    json.dump({'source': 'torchvision.models._meta._IMAGENET_CATEGORIES (index = logit index)', 'classes': list(names)}, f, indent=0)
    f.write('\n')
