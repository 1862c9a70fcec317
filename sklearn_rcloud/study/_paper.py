"""The Random Cloud paper's published results, to print beside ours.

From the result tables of the authors' experiment code (Jastxz/random-cloud,
README; the abstract's figures match them). Test accuracy in %, mean and
standard deviation over the ten seeds, with the two-sided Wilcoxon p-value of
Random Cloud against each baseline; Iris is only in the single-seed table.
Parameter reduction and the found topology are those of seed 42; time ratios
are wall-clock medians of three runs relative to full training.
"""

__all__ = ["PAPER_RESULTS"]

#: dataset -> {'accuracy': {method: (mean, std)}, 'pvalue': {method: p},
#: 'topology': str, 'reduction': float, 'time_ratio': {method: ratio}}
PAPER_RESULTS = {
    "breast_cancer": {
        "accuracy": {
            "full": (97.3, 0.0),
            "magnitude": (97.3, 0.0),
            "random": (97.3, 0.0),
            "random_cloud": (97.3, 0.0),
        },
        "pvalue": {"magnitude": 1.0, "random": 1.0},
        "topology": "30-2-2",
        "reduction": 0.744,
        "time_ratio": {"magnitude": 1.7, "random": 1.8, "random_cloud": 0.94},
    },
    "sonar": {
        "accuracy": {
            "full": (78.3, 4.7),
            "magnitude": (72.4, 3.5),
            "random": (69.5, 2.9),
            "random_cloud": (77.3, 2.6),
        },
        "pvalue": {"magnitude": 0.017, "random": 0.005},
        "topology": "60-1-2",
        "reduction": 0.872,
        "time_ratio": {"magnitude": 1.5, "random": 1.5, "random_cloud": 0.67},
    },
    "ionosphere": {
        "accuracy": {
            "full": (90.3, 2.9),
            "magnitude": (89.9, 3.2),
            "random": (88.9, 3.1),
            "random_cloud": (88.9, 3.4),
        },
        "pvalue": {"magnitude": 0.721, "random": 0.721},
        "topology": "34-3-2",
        "reduction": 0.810,
        "time_ratio": {"magnitude": 1.6, "random": 1.6, "random_cloud": 0.81},
    },
    "adult": {
        "accuracy": {
            "full": (84.5, 0.1),
            "magnitude": (84.7, 0.1),
            "random": (84.7, 0.3),
            "random_cloud": (84.5, 0.2),
        },
        "pvalue": {"magnitude": 0.028, "random": 0.139},
        "topology": "104-8-2",
        "reduction": 0.499,
        "time_ratio": {"magnitude": 1.7, "random": 1.7, "random_cloud": 1.17},
    },
    "iris": {
        "accuracy": {
            "full": (100.0, None),
            "magnitude": (100.0, None),
            "random": (100.0, None),
            "random_cloud": (100.0, None),
        },
        "pvalue": {},
        "topology": "4-16-3-3",
        "reduction": 0.412,
        "time_ratio": {},
    },
    "wine": {
        "accuracy": {
            "full": (94.4, 0.0),
            "magnitude": (94.4, 0.0),
            "random": (94.7, 0.9),
            "random_cloud": (94.2, 0.9),
        },
        "pvalue": {"magnitude": 0.317, "random": 0.180},
        "topology": "13-7-3",
        "reduction": 0.556,
        "time_ratio": {},
    },
    "optdigits": {
        "accuracy": {
            "full": (98.1, 0.2),
            "magnitude": (97.5, 0.2),
            "random": (97.2, 0.4),
            "random_cloud": (96.6, 2.3),
        },
        "pvalue": {"magnitude": 0.203, "random": 0.959},
        "topology": "64-12-10",
        "reduction": 0.622,
        "time_ratio": {"magnitude": 1.5, "random": 1.5, "random_cloud": 0.79},
    },
}
