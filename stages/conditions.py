"""DVC stage: the DS1 records re-recorded under the cross-condition check's conditions."""

import sys

from ecgcnn.dataset import CONDITIONS_PATH
from ecgcnn.io import EcgError, save_arrays
from ecgcnn.params import load_params
from ecgcnn.robustness import condition_name, conditions_dataset
from ecgcnn.splits import DS1


def main():
    params = load_params()
    conditions = params["cv"]["conditions"]
    dataset = conditions_dataset("data/raw/mitdb", DS1, params["extract"], conditions)
    save_arrays(CONDITIONS_PATH, **dataset)
    for i, condition in enumerate(conditions):
        print(f"{condition_name(condition)}: {(dataset['condition'] == i).sum()} beats")


if __name__ == "__main__":
    try:
        main()
    except EcgError as e:
        sys.exit(f"error: {e}")
