#!/usr/bin/python3
"""Write conf/labels/kinetics400.txt: torchvision's Kinetics-400 class names, one per line, in class-index order.

    /usr/bin/python3 tools/export_labels.py
"""
import os

from torchvision.models._meta import _KINETICS400_CATEGORIES

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "conf", "labels", "kinetics400.txt")

if __name__ == "__main__":
    assert len(_KINETICS400_CATEGORIES) == 400
    with open(OUT, "w") as f:
        f.write("\n".join(_KINETICS400_CATEGORIES) + "\n")
    print(f"{len(_KINETICS400_CATEGORIES)} names -> {OUT}")
