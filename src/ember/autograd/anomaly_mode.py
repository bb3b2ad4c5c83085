"""``torch.autograd.anomaly_mode``: the module PyTorch keeps anomaly detection in (ember's
lives in ``autograd.anomaly``; these are the same objects)."""

from .anomaly import detect_anomaly, set_detect_anomaly

__all__ = ["detect_anomaly", "set_detect_anomaly"]
