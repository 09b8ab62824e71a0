"""ecgcnn: MIT-BIH Arrhythmia Database -> 5-class AAMI heartbeat classifier.

The Python API (`classify`, `classify_recording`, `read_recording`, `Recording`) is in
`ecgcnn.api`, imported on first use so that `import ecgcnn` stays light.
"""

__version__ = "0.1.0"
API = ("Recording", "classify", "classify_recording", "read_recording")


def __getattr__(name):
    if name in API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'ecgcnn' has no attribute {name!r}")
