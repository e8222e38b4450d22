"""Reading a training back: is the model current, its train.json, the model itself — each only
when the store trusts it (toolkit.store.verify)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from mnx.errors import CorruptArtifactError, MissingArtifactError
from mnx.toolkit.artifacts import network_dir, read_json

if TYPE_CHECKING:
    from mnx.toolkit.train import TrainConfig, TrainResult

MODEL_FILE = "model.keras"
TRAIN_FILE = "train.json"


def is_trained_current(
    name: str, root: Path, config: TrainConfig, data_sha256: str | None = None
) -> bool:
    """True when the store trusts <root>/<name>/model.keras (with its train.json) and it was
    trained with the same recipe, config and data. `data_sha256` defaults to that of
    `toolkit.data.load_mnist()` (the data `train` would use)."""
    from mnx.architectures import get
    from mnx.toolkit.store import verify
    from mnx.toolkit.train import resolved_options

    net = get(name)
    net_dir = network_dir(name, root)
    if not (net_dir / MODEL_FILE).exists():
        return False
    if data_sha256 is None:
        from mnx.toolkit.data import load_mnist

        data_sha256 = load_mnist().sha256
    options = resolved_options(net, config, data_sha256)
    return verify(net_dir, MODEL_FILE, options=options).current


def read_train_result(name: str, root: Path) -> TrainResult:
    """The TrainResult recorded in <root>/<name>/train.json."""
    path = network_dir(name, root) / TRAIN_FILE
    if not path.exists():
        raise MissingArtifactError(
            f"No completed training of '{name}' in '{path.parent}'",
            expected=f"{path}",
            fix=f"run `mnx train {name}`",
        )
    from mnx.toolkit.store import require_current

    require_current(path.parent, TRAIN_FILE, name)  # train.json and the model it describes
    from mnx.toolkit.train import TrainResult

    try:
        return TrainResult.from_dict(read_json(path))
    except (KeyError, TypeError, ValueError) as exc:
        raise CorruptArtifactError(
            f"'{path}' is not a train record written by mnx ({exc})",
            expected="train.json from `mnx train`",
            fix=f"run `mnx train {name}` again",
        ) from exc


def load_trained_model(name: str, root: Path, *, verified: bool = True) -> Any:
    """Load <root>/<name>/model.keras; with `verified`, only when the store trusts it (else
    StaleArtifactError naming the fix). Missing: MissingArtifactError; unreadable:
    CorruptArtifactError."""
    from mnx.architectures import get
    from mnx.toolkit.keras_model import load_keras
    from mnx.toolkit.store import require_current

    get(name)
    net_dir = network_dir(name, root)
    path = net_dir / MODEL_FILE
    model = load_keras(path, name)  # says what is wrong with a present but unloadable file
    if verified:
        require_current(net_dir, MODEL_FILE, name)
    return model
