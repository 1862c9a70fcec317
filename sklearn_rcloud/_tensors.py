"""Tensors that share the memory of the arrays they come from."""

import numpy as np
import torch

__all__ = ["as_tensor"]


def as_tensor(values, *, dtype=None, device=None):
    """``torch.as_tensor(values, dtype=dtype, device=device)``, quiet about
    read-only arrays.

    joblib hands its workers large arrays as read-only memory maps (e.g. in
    ``GridSearchCV(n_jobs=2)``), and ``torch.as_tensor`` warns that a tensor
    sharing such memory must not be written to. The library never writes to
    its inputs, so it shares them through DLPack, which carries no such
    warning: silencing it with a warnings filter would change process-wide
    state that another thread may be using. A read-only array DLPack cannot
    export (older numpy) is copied.
    """
    if isinstance(values, np.ndarray) and not values.flags.writeable:
        try:
            shared = torch.from_dlpack(values)
        except (BufferError, TypeError, RuntimeError, ValueError):
            shared = torch.from_numpy(values.copy())
        return shared.to(dtype=dtype, device=device)
    return torch.as_tensor(values, dtype=dtype, device=device)
