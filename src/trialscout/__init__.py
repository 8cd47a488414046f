"""trialscout: find and explain clinical trials for cancer patients."""

__version__ = "0.1.0"
