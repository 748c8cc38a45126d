"""Triton Python-backend model: greedy generation with the Hugging Face model stored in its own version folder.

``serve_repository.py`` copies this file into every version folder of the model repository as ``model.py``; the
weights lie beside it (``<repository>/<model>/<version>/config.json`` …), so a version folder is complete on its
own and Triton can swap versions the way it always does (a new folder appears: the newest version is served).
The tensors are those of ``serve_triton.py`` (the monitor's default Triton preset): PROMPT (BYTES [1]), optional
IMAGE (UINT8 [-1,-1,3]) and MAX_TOKENS (INT32 [1]) in; TEXT (BYTES [1]) out.

It runs inside Triton's Python-backend stub, which imports ``triton_python_backend_utils``; the stub's Python
is the project's virtual environment (its ``bin`` first on PATH) and PYTHONPATH holds the repository root, so
the monitor's own loader (``monitor.adapters._hf_generate``) loads the weights.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import triton_python_backend_utils as pb_utils  # type: ignore[import-not-found]


def _parameter(config: dict[str, Any], key: str, default: int) -> int:
    value = config.get("parameters", {}).get(key, {}).get("string_value")
    return int(value) if value not in (None, "") else default


class TritonPythonModel:
    def initialize(self, args: dict[str, str]) -> None:
        config = json.loads(args["model_config"])
        threads = _parameter(config, "torch_threads", 0)
        self.default_max_tokens = _parameter(config, "default_max_tokens", 128)
        self.max_tokens_limit = _parameter(config, "max_tokens_limit", 1024)
        from monitor.adapters._hf_generate import LocalModel

        weights = Path(args["model_repository"]) / args["model_version"]
        self.model = LocalModel(weights, device="cpu", dtype="float32", threads=threads or None)

    def _answer(self, request: Any) -> Any:
        prompt_tensor = pb_utils.get_input_tensor_by_name(request, "PROMPT")
        if prompt_tensor is None or prompt_tensor.as_numpy().size != 1:
            return "PROMPT must hold exactly one UTF-8 string"
        raw = prompt_tensor.as_numpy().reshape(-1)[0]
        try:
            prompt = raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else str(raw)
        except UnicodeDecodeError:
            return "PROMPT is not valid UTF-8"
        image = None
        image_tensor = pb_utils.get_input_tensor_by_name(request, "IMAGE")
        if image_tensor is not None:
            image = image_tensor.as_numpy()
            if image.ndim != 3 or image.shape[2] != 3 or image.shape[0] < 1 or image.shape[1] < 1:
                return f"IMAGE must have shape (H, W, 3), got {tuple(image.shape)}"
            image = np.ascontiguousarray(image, dtype=np.uint8)
        max_tokens = self.default_max_tokens
        limit_tensor = pb_utils.get_input_tensor_by_name(request, "MAX_TOKENS")
        if limit_tensor is not None:
            values = limit_tensor.as_numpy().reshape(-1)
            if values.size != 1 or int(values[0]) < 1:
                return "MAX_TOKENS must hold exactly one integer of at least 1"
            max_tokens = int(values[0])
        text = self.model.generate(prompt, image, min(max_tokens, self.max_tokens_limit)).text
        return pb_utils.InferenceResponse(
            output_tensors=[pb_utils.Tensor("TEXT", np.array([text.encode("utf-8")], dtype=np.object_))]
        )

    def execute(self, requests: list[Any]) -> list[Any]:
        responses = []
        for request in requests:
            answer = self._answer(request)
            if isinstance(answer, str):  # a bad request: Triton returns the message as an error
                answer = pb_utils.InferenceResponse(error=pb_utils.TritonError(answer))
            responses.append(answer)
        return responses

    def finalize(self) -> None:
        self.model.free()
