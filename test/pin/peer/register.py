"""Registers two versions of one model in a real MLflow tracking server and moves an alias.

usage: register.py TRACKING_URI MODEL_NAME ALIAS DIR_V1 DIR_V2

Each folder is logged as the artifacts of its own run and registered as a version (MLflow 3's
client API, as a training job would); the alias first names version 1, then moves to version 2.
Prints one JSON object: {"versions": {"1": artifact_uri, "2": artifact_uri}}.
"""

import json
import sys

import mlflow
from mlflow import MlflowClient


def main() -> None:
    uri, name, alias, v1, v2 = sys.argv[1:6]
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(tracking_uri=uri)
    client.create_registered_model(name)
    versions = {}
    for folder in (v1, v2):
        with mlflow.start_run() as run:
            mlflow.log_artifacts(folder, artifact_path="model")
            source = f"{run.info.artifact_uri}/model"
        mv = client.create_model_version(name, source, run_id=run.info.run_id)
        versions[mv.version] = source
    client.set_registered_model_alias(name, alias, "1")
    client.set_registered_model_alias(name, alias, "2")
    print(json.dumps({"versions": versions}))


if __name__ == "__main__":
    main()
