"""Triton Python-backend model of known capacity: each request holds its instance a fixed time, then a fixed answer.

bench/triton_capacity_server.py copies this file into its model repository as ``<model>/1/model.py``; the
config there sets ``instance_group`` (N stub processes, each answering one request at a time) and the
``service_ms`` parameter. Tensors: ``PROMPT`` BYTES [1], optional ``IMAGE`` BYTES [1] (one base64 PNG) and
``MAX_TOKENS`` INT32 [1] in; ``TEXT`` BYTES [1] out. The prompt is decoded and the image checked to be a
non-empty string, so the client's encoding is exercised; their content is otherwise ignored.
"""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np
import triton_python_backend_utils as pb_utils  # type: ignore[import-not-found]

ANSWER = "No. It looks ordinary to me."


class TritonPythonModel:
    def initialize(self, args: dict[str, str]) -> None:
        config = json.loads(args["model_config"])
        self.service_s = float(config["parameters"]["service_ms"]["string_value"]) / 1000
        self.answer = np.array([ANSWER.encode()], dtype=np.object_)

    def _one(self, request: Any) -> Any:
        prompt = pb_utils.get_input_tensor_by_name(request, "PROMPT")
        if prompt is None or prompt.as_numpy().size != 1:
            return pb_utils.InferenceResponse(error=pb_utils.TritonError("PROMPT must hold one string"))
        try:
            prompt.as_numpy().reshape(-1)[0].decode("utf-8")
        except UnicodeDecodeError:
            return pb_utils.InferenceResponse(error=pb_utils.TritonError("PROMPT is not UTF-8"))
        image = pb_utils.get_input_tensor_by_name(request, "IMAGE")
        if image is not None and (image.as_numpy().size != 1 or not image.as_numpy().reshape(-1)[0]):
            return pb_utils.InferenceResponse(error=pb_utils.TritonError("IMAGE must hold one base64 PNG"))
        time.sleep(self.service_s)  # this instance is busy: it answers one request at a time
        return pb_utils.InferenceResponse(output_tensors=[pb_utils.Tensor("TEXT", self.answer)])

    def execute(self, requests: list[Any]) -> list[Any]:
        return [self._one(r) for r in requests]
