"""sercorpus: trustworthy cross-corpus speech-emotion-recognition data."""

from sercorpus.core.schema import SCHEMA_VERSION, VOCABULARY, Annotation, Utterance

__version__ = "0.1.0"
__all__ = ["SCHEMA_VERSION", "VOCABULARY", "Annotation", "Utterance", "__version__"]
