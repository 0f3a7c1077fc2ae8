"""DIET with a model load that skips the throw-away training step (same training, same answers).

Rasa 3.6 loads a trained DIET model by compiling it and running `fit` on one example "to build
weights of the correct size", then restoring the weights and tracing the prediction graph
(rasa/utils/tensorflow/models.py, `RasaModel.load`). Tracing the *training* graph is most of
the load: measured here 46 s of a 52 s `load_agent` (docs/benchmarks.md), for a graph that is
thrown away at once.

`FastLoadDIET.load` restores the checkpoint first and lets TensorFlow's restore-on-create fill
every variable when the prediction graph builds it; the optimizer's slots stay unresolved
(`expect_partial`), which is fine for a model that only predicts. Only then are the label
embeddings computed (`prepare_for_predict`), so they come from the trained weights.
Finetuning (`rasa train --finetune`) needs the optimizer: it keeps Rasa's own path.
tests/test_rasa_project.py checks that both loaders give the same intents, confidences and
entities.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.diet_classifier import DIET, DIETClassifier
from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel

logger = logging.getLogger(__name__)


class FastLoadDIET(DIET):
    @classmethod
    def load(  # type: ignore[override]
        cls,
        model_file_name: str,
        model_data_example: RasaModelData,
        predict_data_example: RasaModelData | None = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> RasaModel:
        if finetune_mode or predict_data_example is None:
            return super().load(
                model_file_name,
                model_data_example,
                predict_data_example,
                finetune_mode,
                *args,
                **kwargs,
            )
        model = cls(*args, **kwargs)
        model.load_weights(model_file_name).expect_partial()
        model.run_inference(predict_data_example)  # builds (and so restores) every variable
        model.prepare_for_predict()  # label embeddings from the restored weights
        model.prepared_for_prediction = True
        logger.debug("Loaded %s without the warm-up training step.", model_file_name)
        return model


@DefaultV1Recipe.register(
    [
        DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
        DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR,
    ],
    is_trainable=True,
)
class FastLoadDIETClassifier(DIETClassifier):
    """DIETClassifier whose trained model loads without tracing a training graph."""

    @staticmethod
    def model_class() -> type[RasaModel]:
        return FastLoadDIET
