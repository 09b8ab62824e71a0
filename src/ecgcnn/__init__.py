"""ecgcnn: MIT-BIH Arrhythmia Database -> 5-class AAMI heartbeat classifier."""

__version__ = "0.1.0"
